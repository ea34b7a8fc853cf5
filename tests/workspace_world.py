"""A unit's year for the workspace tests (issue 22): PZ041's children in 2024-25 as at TODAY,
one with each flag, a new diagnosis with a care process missed and one due within 30 days, and
PZ002 sharing one child and holding one of its own."""

import datetime as dt

from aggregation.services import compute_kpis
from npda.data_model import models as m
from tests.factories import AuditPeriodFactory, SiteFactory, synthetic_nhs_number
from tests.kpi_cohort import Cohort, hba1c

TODAY = dt.date(2024, 12, 1)  # during 2024-25: the countdowns run


def build_unit_world() -> tuple[m.AuditPeriod, dict[str, m.Patient]]:
    period = AuditPeriodFactory(year=2024, is_open=True)
    ours = Cohort(period=period)
    theirs = Cohort("PZ002", period=period)
    shared_number = synthetic_nhs_number(900)
    children = {
        "new": ours.child(diagnosis_date="2024-09-15", rows=(
            {**hba1c(80, date="2024-09-16"), "coeliac_screen_date": "2024-09-20"},)),
        "errors": ours.child(rows=(hba1c(300, date="2024-06-01"), hba1c(61, date="2024-10-01"))),
        "left": ours.child(leaving="2024-11-30", reason=2, rows=(hba1c(58),)),
        "moved": ours.child(rows=(hba1c(57, date="2024-07-01"),)),
        "shared": ours.child(nhs_number=shared_number, rows=(hba1c(70),)),
        "jersey": ours.child(nhs_number=None, unique_reference_number="=HYPERLINK(1)",
                             rows=(hba1c(66),)),
    }  # fmt: skip
    theirs.child(nhs_number=shared_number, rows=(hba1c(71),))
    theirs.child(nhs_number=synthetic_nhs_number(902), rows=(hba1c(72),))  # PZ002's alone
    bad = children["errors"]
    bad.errors = {"postcode": [{"code": "E11", "message": "The postcode is not a postcode."}]}
    bad.postcode = "ZZ"
    bad.save()
    m.Visit.objects.filter(patient=bad, hba1c=300).update(
        errors={"hba1c": [{"code": "E20", "message": "HbA1c must be 20 to 195 mmol/mol."}]}
    )
    moved = children["moved"]
    moved.sites.update(date_joined=dt.date(2024, 6, 1))
    SiteFactory(
        patient=moved,
        paediatric_diabetes_unit_id="PZ002",
        is_active=False,
        date_joined=dt.date(2020, 1, 1),
        date_leaving_service=dt.date(2024, 5, 31),
    )
    compute_kpis(period, calculation_date=TODAY)
    return period, children
