"""Store validated records as a unit's new active submission for an audit period.

One transaction, serialised per (unit, period) by an advisory lock: the previous active
submission becomes inactive history (its row, file and counts; its visits are removed), children
keep their identity across uploads (identifier + unit), and the KPI recompute is requested.
Visits are written with COPY, so a national cohort stores in seconds.
"""

import json
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.base import ContentFile
from django.db import connection, transaction

from aggregation.jobs import request_unit_recompute
from npda.models import (
    AuditPeriod,
    NPDAUser,
    PaediatricDiabetesUnit,
    Patient,
    Site,
    Submission,
    Visit,
)
from npda.submissions.records import PatientRecord, VisitRecord

UPLOAD_LOCK_NAMESPACE = 7301
PATIENT_FIELDS = (
    "nhs_number",
    "unique_reference_number",
    "date_of_birth",
    "postcode",
    "sex",
    "ethnicity",
    "diabetes_type",
    "diagnosis_date",
    "death_date",
    "gp_practice_ods_code",
)
SITE_FIELDS = ("date_leaving_service", "reason_leaving_service")
VISIT_COPY_FIELDS = tuple(f.column for f in Visit._meta.concrete_fields if not f.primary_key)


def lock_unit_period(unit: PaediatricDiabetesUnit, period: AuditPeriod) -> None:
    """Serialise uploads of one unit and period until the transaction ends."""
    key = int(unit.pz_code[2:]) * 10_000 + period.start_date.year
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [UPLOAD_LOCK_NAMESPACE, key])


def derived_bmi(fields: dict) -> Decimal | None:
    """BMI from the height and weight of one row, 1 dp; discarded above 99 (§8)."""
    height, weight = fields.get("height"), fields.get("weight")
    if not height or not weight:
        return None
    bmi = (Decimal(weight) / (Decimal(height) / 100) ** 2).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    return bmi if bmi <= 99 else None


def store_submission(
    unit: PaediatricDiabetesUnit,
    period: AuditPeriod,
    patients: Sequence[PatientRecord],
    visits: Sequence[VisitRecord],
    *,
    submitted_by: NPDAUser | None = None,
    file_name: str = "",
    file_content: bytes | None = None,
    summary: dict | None = None,
) -> Submission:
    with transaction.atomic():
        lock_unit_period(unit, period)
        patient_ids = _upsert_patients(unit, period, patients)
        previous = Submission.objects.filter(
            paediatric_diabetes_unit=unit, audit_period=period, is_active=True
        ).first()
        if previous is not None:
            Visit.objects.filter(submission=previous).delete()
            previous.is_active = False
            previous.save(update_fields=["is_active"])
        submission = Submission.objects.create(
            paediatric_diabetes_unit=unit,
            audit_period=period,
            submitted_by=submitted_by,
            is_active=True,
            file_name=file_name,
            patient_count=len(patients),
            visit_count=len(visits),
            error_count=_records_with_errors(patients, visits),
            errors=summary or {},
        )
        if file_content is not None:
            submission.csv_file.save(file_name or "upload.csv", ContentFile(file_content))
        Submission.patients.through.objects.bulk_create(
            [
                Submission.patients.through(submission_id=submission.pk, patient_id=pk)
                for pk in patient_ids.values()
            ],
            batch_size=5000,
        )
        _copy_visits(submission, period, patient_ids, visits)
        request_unit_recompute(unit.pz_code, period.pk, reason="upload")
    return submission


def _records_with_errors(patients: Sequence[PatientRecord], visits: Sequence[VisitRecord]) -> int:
    return sum(1 for p in patients if p.errors) + sum(1 for v in visits if v.errors)


def _patient_values(record: PatientRecord, period: AuditPeriod) -> dict:
    values = {name: record.fields.get(name) for name in PATIENT_FIELDS}
    for text_field in ("postcode", "gp_practice_ods_code"):
        values[text_field] = values[text_field] or ""
    values.update(
        errors=record.errors, is_valid=not record.errors, dataset_year=period.dataset_year
    )
    return values


def _existing_patients(unit: PaediatricDiabetesUnit) -> dict[str, int]:
    """identifier -> Patient id of the children this unit has submitted before."""
    rows = Site.objects.filter(paediatric_diabetes_unit=unit, is_active=True).values_list(
        "patient__nhs_number", "patient__unique_reference_number", "patient_id"
    )
    return {nhs or urn: patient_id for nhs, urn, patient_id in rows}


def _upsert_patients(
    unit: PaediatricDiabetesUnit, period: AuditPeriod, records: Sequence[PatientRecord]
) -> dict[str, int]:
    existing = _existing_patients(unit)
    new = [r for r in records if r.key not in existing]
    known = [r for r in records if r.key in existing]
    created = Patient.objects.bulk_create(
        [Patient(**_patient_values(r, period)) for r in new], batch_size=2000
    )
    ids = {r.key: p.pk for r, p in zip(new, created, strict=True)}
    for record in known:
        ids[record.key] = existing[record.key]
    _copy_update(
        Patient,
        [{"id": ids[r.key], **_patient_values(r, period)} for r in known],
    )
    _upsert_sites(unit, known, new, ids)
    return ids


def _upsert_sites(
    unit: PaediatricDiabetesUnit,
    known: Sequence[PatientRecord],
    new: Sequence[PatientRecord],
    ids: dict[str, int],
) -> None:
    def site_values(record: PatientRecord) -> dict:
        return {name: record.site_fields.get(name) for name in SITE_FIELDS}

    Site.objects.bulk_create(
        [
            Site(
                patient_id=ids[r.key],
                paediatric_diabetes_unit=unit,
                organisation_id=unit.lead_organisation_id,
                is_active=True,
                **site_values(r),
            )
            for r in new
        ],
        batch_size=2000,
    )
    site_ids = dict(
        Site.objects.filter(
            paediatric_diabetes_unit=unit,
            is_active=True,
            patient_id__in=[ids[r.key] for r in known],
        ).values_list("patient_id", "pk")
    )
    _copy_update(Site, [{"id": site_ids[ids[r.key]], **site_values(r)} for r in known])


def _copy_update(model, rows: list[dict]) -> None:
    """UPDATE many rows by id in two statements: COPY into a temporary table, then
    UPDATE ... FROM it (Django's bulk_update builds a CASE per row and field: far slower)."""
    if not rows:
        return
    table = model._meta.db_table
    columns = [c for c in rows[0] if c != "id"]
    listed = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE update_{table} ON COMMIT DROP AS "
            f"SELECT id, {listed} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY update_{table} (id, {listed}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([_copy_value(row[c]) for c in ["id", *columns]])
        assignments = ", ".join(f"{c} = u.{c}" for c in columns)
        cursor.execute(
            f"UPDATE {table} t SET {assignments} FROM update_{table} u WHERE t.id = u.id"
        )
        cursor.execute(f"DROP TABLE update_{table}")


def _copy_visits(
    submission: Submission,
    period: AuditPeriod,
    patient_ids: dict[str, int],
    visits: Sequence[VisitRecord],
) -> None:
    columns = VISIT_COPY_FIELDS
    defaults = {
        "submission_id": submission.pk,
        "dataset_year": period.dataset_year,
        "hospital_admission_other": "",
    }
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {Visit._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        ) as copy,
    ):
        for visit in visits:
            values = {**defaults, **visit.fields}
            values["hospital_admission_other"] = values["hospital_admission_other"] or ""
            values.update(
                patient_id=patient_ids[visit.patient_key],
                source_row=visit.source_row,
                errors=json.dumps(visit.errors),
                is_valid=not visit.errors,
            )
            if values.get("bmi") is None and not {"height", "weight"} & visit.errors.keys():
                values["bmi"] = derived_bmi(values)
            copy.write_row([values.get(column) for column in columns])


def _copy_value(value):
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, date | Decimal | int | float | str | bool) or value is None:
        return value
    raise TypeError(f"cannot store {value!r}")
