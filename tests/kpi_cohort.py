"""A small hand-built cohort for KPI tests: one unit's active submission with its children."""

import datetime as dt

from constants.kpis import MEASURES_BY_NUMBER
from npda import models as m
from tests.factories import AuditPeriodFactory, PatientFactory, SiteFactory, SubmissionFactory

S, E = dt.date(2024, 4, 1), dt.date(2025, 3, 31)
STATE_NAMES = {0: "ineligible", 1: "passed", 2: "failed", 3: "incomplete"}


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


class Cohort:
    """Children of one unit for 2024-25 (by default), each with its rows in the submission."""

    def __init__(self, pz_code: str = "PZ041", year: int = 2024, period=None):
        self.period = period or AuditPeriodFactory(year=year)
        self.unit = m.PaediatricDiabetesUnit.objects.get(pz_code=pz_code)
        self.submission = SubmissionFactory(
            paediatric_diabetes_unit=self.unit, audit_period=self.period, is_active=True
        )
        self.next_row = 1

    def child(
        self,
        *,
        rows: tuple[dict, ...] = (),
        leaving: str | None = None,
        reason: int | None = None,
        **patient_fields,
    ) -> m.Patient:
        for name in ("date_of_birth", "diagnosis_date", "death_date"):
            if isinstance(patient_fields.get(name), str):
                patient_fields[name] = d(patient_fields[name])
        patient = PatientFactory(**patient_fields)
        SiteFactory(
            patient=patient,
            paediatric_diabetes_unit=self.unit,
            date_leaving_service=d(leaving) if leaving else None,
            reason_leaving_service=reason,
        )
        self.submission.patients.add(patient)
        for row in rows:
            self.row(patient, **row)
        return patient

    def row(self, patient: m.Patient, **fields) -> m.Visit:
        for name, value in list(fields.items()):
            if isinstance(value, str) and name.endswith("_date"):
                fields[name] = d(value)
        fields.setdefault("visit_date", fields.get("hba1c_date") or S)
        self.next_row += 1
        return m.Visit.objects.create(
            patient=patient, submission=self.submission, source_row=self.next_row, **fields
        )


def open_only(period: m.AuditPeriod) -> None:
    """Make `period` the one open audit period (the seeded current year is open too)."""
    m.AuditPeriod.objects.exclude(pk=period.pk).update(is_open=False)
    m.AuditPeriod.objects.filter(pk=period.pk).update(is_open=True)


def states(patient: m.Patient, period: m.AuditPeriod, *numbers: str) -> dict[str, str]:
    kpi = m.KPI.objects.get(patient=patient, audit_period=period)
    return {
        n: STATE_NAMES[getattr(kpi, MEASURES_BY_NUMBER[n].field_name)]
        for n in numbers or MEASURES_BY_NUMBER
    }


def passed(children: dict[str, m.Patient], period: m.AuditPeriod, number: str) -> set[str]:
    """The names of the children who passed KPI `number`."""
    return {name for name, p in children.items() if states(p, period, number)[number] == "passed"}


def aggregate(period: m.AuditPeriod, number: str, model=m.PDUKPIAggregation, **area):
    """The live aggregate of one measure for one area."""
    return model.objects.get(audit_period=period, measure_id=number, **area)


CLINIC = {"visit_date": "2024-06-01"}  # a visit row with nothing else recorded


def hba1c(value, unit=1, date="2024-06-01", **extra) -> dict:
    """A visit row with an HbA1c (unit 1 mmol/mol, 2 %) observed on the visit date."""
    return {"visit_date": date, "hba1c": value, "hba1c_format": unit, "hba1c_date": date, **extra}
