"""A small hand-built cohort for KPI tests: one unit's active submission with its children."""

import datetime as dt

from django.db.models import F

from constants.kpis import MEASURES_BY_NUMBER
from npda.data_model import models as m
from tests.factories import AuditPeriodFactory, PatientFactory, SiteFactory, SubmissionFactory

S, E = dt.date(2024, 4, 1), dt.date(2025, 3, 31)
STATE_NAMES = {0: "ineligible", 1: "passed", 2: "failed", 3: "incomplete", 4: "not available"}


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# The 2021 fields of the worked examples in their 2026 form (kpis.md §7): treatment code ->
# (insulin_regimen, non_insulin_medication, dietary_lifestyle_modification); a pump with a
# closed loop is regimen 5 (hybrid closed loop); admission reason 2021 -> 2026.
REGIMEN_2026 = {1: (2, 1), 2: (3, 1), 3: (4, 1), 4: (2, 2), 5: (3, 2), 6: (4, 2), 7: (1, 1, 1),
                8: (1, 2)}  # fmt: skip
ADMISSION_REASON_2026 = {1: 5, 2: 1, 3: 2, 4: 3, 5: 4, 6: 6}
SMOKING_2026 = {1: 1, 2: 2, 99: 99}
FACTORY_DATES = {"date_of_birth": dt.date(2012, 6, 15), "diagnosis_date": dt.date(2019, 3, 3)}


def in_2026_fields(fields: dict) -> dict:
    """A 2021-dataset row's fields as the 2026 dataset records them."""
    fields = dict(fields)
    if fields.pop("hba1c_format", None) == 2:  # % -> mmol/mol, 2 dp as stored
        fields["hba1c"] = round((fields["hba1c"] - 2.152) / 0.09148, 2)
    loop = fields.pop("closed_loop_system", None)
    if (treatment := fields.pop("treatment", None)) is not None:
        regimen, medication, *diet = REGIMEN_2026.get(treatment, (99, 99))
        if regimen == 4 and loop in (2, 3, 4):
            regimen = 5
        fields |= {"insulin_regimen": regimen, "non_insulin_medication": medication}
        fields |= {"dietary_lifestyle_modification": diet[0]} if diet else {}
    if (monitoring := fields.pop("glucose_monitoring", None)) is not None:
        fields["cgm_use"] = 1 if monitoring in (2, 3, 4) else 2
    if (status := fields.pop("smoking_status", None)) is not None:
        fields["smoking_vaping_status"] = SMOKING_2026[status]
    if (reason := fields.pop("hospital_admission_reason", None)) is not None:
        fields["hospital_admission_reason_2026"] = ADMISSION_REASON_2026[reason]
    return fields


class Cohort:
    """Children of one unit for 2024-25 (by default), each with its rows in the submission.

    `as_2026=True` re-expresses the same data for 2026-27: every date two calendar years
    later, and the rows in 2026 fields (`in_2026_fields`), so a worked example written for
    2024-25 gives its states by the 2026 rules."""

    def __init__(
        self, pz_code: str = "PZ041", year: int = 2024, period=None, *, as_2026: bool = False
    ):
        self.years_later = 2026 - year if as_2026 else 0
        self.period = period or AuditPeriodFactory(year=year + self.years_later)
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
                patient_fields[name] = self.day(patient_fields[name])
        for name, default in FACTORY_DATES.items():
            patient_fields.setdefault(name, self.day(default))
        patient = PatientFactory(dataset_year=self.period.dataset_year, **patient_fields)
        SiteFactory(
            patient=patient,
            paediatric_diabetes_unit=self.unit,
            date_leaving_service=self.day(leaving) if leaving else None,
            reason_leaving_service=reason,
        )
        self.submission.patients.add(patient)
        self._count(patient_count=1)
        for row in rows:
            self.row(patient, **row)
        return patient

    def _count(self, **added: int) -> None:
        """The version's counts follow its children and rows, as an upload sets them (pages
        show them)."""
        m.Submission.objects.filter(pk=self.submission.pk).update(
            **{name: F(name) + n for name, n in added.items()}
        )
        for name, n in added.items():
            setattr(self.submission, name, getattr(self.submission, name) + n)

    def day(self, value: str | dt.date) -> dt.date:
        """A date of the example, in the cohort's period (two years later for 2026)."""
        day = d(value) if isinstance(value, str) else value
        return day.replace(year=day.year + self.years_later)

    def row(self, patient: m.Patient, **fields) -> m.Visit:
        for name, value in list(fields.items()):
            if isinstance(value, str | dt.date) and name.endswith("_date"):
                fields[name] = self.day(value)
        fields.setdefault("visit_date", fields.get("hba1c_date") or self.day(S))
        if self.years_later:
            fields = in_2026_fields(fields)
        self.next_row += 1
        self._count(visit_count=1)
        return m.Visit.objects.create(
            patient=patient,
            submission=self.submission,
            source_row=self.next_row,
            dataset_year=self.period.dataset_year,
            **fields,
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
