"""Store validated records as a version of a unit's data for an audit period: a draft, or
the unit's data (active).

Making a version active is one transaction, serialised per (unit, period) by an advisory lock
and refused while the year is signed off: the version in use before becomes history (its row,
file, counts and packed records; its visits are removed), children keep their identity across
versions (identifier + unit), and the KPI recompute is requested. Every version keeps its
checked records packed (SubmissionRecords), so a draft is confirmed, and an earlier version
restored, without its file being read again. Visits are written with COPY, so a national cohort
stores in seconds.
"""

import json
from collections.abc import Sequence
from contextlib import contextmanager
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from django.core.files.base import ContentFile
from django.db import connection, models, transaction

from aggregation.jobs import request_unit_recompute
from npda.data_model.models import (
    AuditPeriod,
    NPDAUser,
    PaediatricDiabetesUnit,
    Patient,
    Site,
    Submission,
    SubmissionEvent,
    SubmissionRecords,
    Visit,
)
from npda.data_model.row_history import without_row_history
from npda.submissions.locks import lock_unit_period
from npda.submissions.records import PatientRecord, VisitRecord, pack, pack_json, unpack
from npda.submissions.sign_off import refuse_if_signed_off

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
    "adhd_asd_status",  # 2026 dataset
    "learning_disability_status",  # 2026 dataset
)
SITE_FIELDS = ("date_leaving_service", "reason_leaving_service")
VISIT_COPY_FIELDS = tuple(f.column for f in Visit._meta.concrete_fields if not f.primary_key)


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
    """A new version made the unit's data at once (the command line, the synthetic cohort)."""
    with _writing_a_version():
        lock_unit_period(unit, period)
        refuse_if_signed_off(unit, period)
        submission = _new_version(
            unit, period, patients, visits, submitted_by, file_name, file_content, summary
        )
        _activate(submission, patients, visits)
        _event(submission, SubmissionEvent.Action.IMPORTED, submitted_by)
    return submission


def save_draft(
    unit: PaediatricDiabetesUnit,
    period: AuditPeriod,
    patients: Sequence[PatientRecord],
    visits: Sequence[VisitRecord],
    *,
    submitted_by: NPDAUser | None,
    file_name: str,
    file_content: bytes,
    summary: dict,
    comparison: dict,
) -> Submission:
    """A checked upload kept as a draft: nothing of the unit's data changes."""
    with transaction.atomic():
        submission = _new_version(
            unit, period, patients, visits, submitted_by, file_name, file_content, summary
        )
        submission.comparison = comparison
        submission.save(update_fields=["comparison"])
        _event(submission, SubmissionEvent.Action.CHECKED, submitted_by)
    return submission


class VersionRefused(Exception):
    """A step that may not happen to a version, with the reason in words."""


def refuse_unless(version: Submission, status: str, what: str) -> None:
    if version.status != status:
        raise VersionRefused(f"{what}: this version is {version.get_status_display().lower()}.")


def make_active(
    submission: Submission,
    *,
    by: NPDAUser | None,
    action: str,
    expected: tuple[str, str],
    reason: str = "",
) -> Submission:
    """A draft (confirmed) or an earlier version (restored) made the unit's data, from the
    records it was checked with. `expected` is the status it must still have once the unit's
    year is locked, and the words of the refusal: two requests to use one draft, or to discard
    it while it is being used, must not both go through."""
    unit, period = submission.paediatric_diabetes_unit, submission.audit_period
    with _writing_a_version():
        lock_unit_period(unit, period)
        refuse_if_signed_off(unit, period)
        submission = Submission.objects.select_for_update().get(pk=submission.pk)
        refuse_unless(submission, *expected)
        patients, visits = unpack(bytes(submission.records.packed))
        _activate(submission, patients, visits)
        _event(submission, action, by, reason)
    return submission


def _new_version(unit, period, patients, visits, submitted_by, file_name, file_content, summary):
    submission = Submission.objects.create(
        paediatric_diabetes_unit=unit,
        audit_period=period,
        submitted_by=submitted_by,
        status=Submission.Status.DRAFT,
        file_name=file_name,
        patient_count=len(patients),
        visit_count=len(visits),
        error_count=_records_with_errors(patients, visits),
        errors=summary or {},
    )
    if file_content is not None:
        submission.csv_file.save(file_name or "upload.csv", ContentFile(file_content))
    SubmissionRecords.objects.create(submission=submission, packed=pack(patients, visits))
    return submission


@contextmanager
def _writing_a_version():
    """One transaction writing a whole version: it is kept whole (its records), so no row
    history is recorded (ADR 0028, `npda.data_model.row_history`)."""
    with without_row_history():
        yield


def _activate(
    submission: Submission, patients: Sequence[PatientRecord], visits: Sequence[VisitRecord]
) -> None:
    """Within the unit and period's lock: the version's children and visits become the unit's
    data, and the version in use before is kept as history (without its visits)."""
    unit, period = submission.paediatric_diabetes_unit, submission.audit_period
    previous = (
        Submission.objects.filter(paediatric_diabetes_unit=unit, audit_period=period,
                                  is_active=True).exclude(pk=submission.pk).first()
    )  # fmt: skip
    if previous is not None and (
        previous.last_edited_at is not None
        or not SubmissionRecords.objects.filter(submission=previous).exists()
    ):
        # Before its children's rows are overwritten: its form changes, or all of it for a
        # version stored before versions kept their records, so that it can be restored.
        keep_form_changes(previous)
    patient_ids = _upsert_patients(unit, period, patients)
    if previous is not None:
        Visit.objects.filter(submission=previous).delete()
        previous.is_active, previous.status = False, Submission.Status.SUPERSEDED
        previous.save(update_fields=["is_active", "status"])
        _event(previous, SubmissionEvent.Action.SUPERSEDED, None)
    submission.is_active, submission.status = True, Submission.Status.ACTIVE
    submission.save(update_fields=["is_active", "status"])
    submission.patients.clear()
    _copy_submission_patients(submission, patient_ids.values())
    _copy_visits(submission, period, patient_ids, visits)
    request_unit_recompute(unit.pz_code, period.pk, reason="upload")


def keep_form_changes(version: Submission) -> None:
    """A version changed in web forms keeps those changes in its records before it stops being
    the unit's data, so that restoring it brings them back (its file stays as uploaded); a
    version stored before versions kept records gets them here, from its rows."""
    unit_id = version.paediatric_diabetes_unit_id
    sites = {
        patient_id: {"date_leaving_service": left, "reason_leaving_service": reason}
        for patient_id, left, reason in Site.objects.filter(
            paediatric_diabetes_unit_id=unit_id, is_active=True, patient__in=version.patients.all()
        ).values_list("patient_id", "date_leaving_service", "reason_leaving_service")
    }  # fmt: skip
    patients = [
        PatientRecord(child.nhs_number or child.unique_reference_number or "",
                      {name: getattr(child, name) for name in PATIENT_FIELDS},
                      sites.get(child.pk, {}), child.errors or {})
        for child in version.patients.all()
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_visit_records_sql(), [version.pk])
        visits_json = cursor.fetchone()[0]
    SubmissionRecords.objects.update_or_create(
        submission=version, defaults={"packed": pack_json(patients, visits_json)}
    )
    _event(version, SubmissionEvent.Action.FOLDED, None)


# A visit's bookkeeping, not its values.
NOT_VISIT_VALUES = frozenset({"id", "patient_id", "submission_id", "source_row", "errors",
                              "is_valid", "dataset_year", "revision", "changed_at",
                              "changed_by_id"})  # fmt: skip


def _packed_value_sql(field) -> str:
    """A visit's `"name": value` as `records.pack` writes it (dates and decimals tagged), or
    NULL for a blank (None or ""), which concat_ws leaves out."""
    column = f"v.{connection.ops.quote_name(field.column)}"
    if isinstance(field, models.DateField):
        value = f"""'{{"$date": "' || to_char({column}, 'YYYY-MM-DD') || '"}}'"""
    elif isinstance(field, models.DecimalField):
        value = f"""'{{"$decimal": "' || {column}::text || '"}}'"""
    elif isinstance(field, models.CharField | models.TextField):
        value = f"to_json(NULLIF({column}, ''))::text"
    else:
        value = f"to_json({column})::text"
    return f"""'"{field.attname}": ' || {value}"""


@cache
def _visit_records_sql() -> str:
    """A version's rows as packed visit records (JSON text) in row order, written by
    PostgreSQL: [child's key, row, values, errors]. A fifth of the time Python takes to read
    13,000 rows and write them again."""
    values = ", ".join(_packed_value_sql(f) for f in Visit._meta.concrete_fields
                       if f.attname not in NOT_VISIT_VALUES)  # fmt: skip
    return f"""
SELECT '[' || coalesce(string_agg(record, ', '), '') || ']' FROM (
    SELECT '[' || to_json(coalesce(p.nhs_number, p.unique_reference_number, ''))::text || ', '
           || to_json(v.source_row)::text || ', {{' || concat_ws(', ', {values}) || '}}, '
           || coalesce(v.errors, '{{}}'::jsonb)::text || ']' AS record
    FROM npda_visit v
    LEFT JOIN npda_submission_patients sp
         ON sp.submission_id = v.submission_id AND sp.patient_id = v.patient_id
    LEFT JOIN npda_patient p ON p.id = sp.patient_id
    WHERE v.submission_id = %s
    ORDER BY v.source_row, v.id
) records
"""


def _event(submission: Submission, action: str, by: NPDAUser | None, reason: str = "") -> None:
    SubmissionEvent.objects.create(submission=submission, action=action, by=by, reason=reason)


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
    created = _copy_insert(Patient, [_patient_values(r, period) for r in new])
    ids = {r.key: pk for r, pk in zip(new, created, strict=True)}
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

    _copy_insert(
        Site,
        [
            {
                "patient_id": ids[r.key],
                "paediatric_diabetes_unit_id": unit.pk,
                "organisation_id": unit.lead_organisation_id,
                "is_active": True,
                **site_values(r),
            }
            for r in new
        ],
    )
    site_ids = dict(
        Site.objects.filter(
            paediatric_diabetes_unit=unit,
            is_active=True,
            patient_id__in=[ids[r.key] for r in known],
        ).values_list("patient_id", "pk")
    )
    _copy_update(Site, [{"id": site_ids[ids[r.key]], **site_values(r)} for r in known])


def _copy_insert(model, rows: list[dict]) -> list[int]:
    """INSERT many rows with one COPY (Django's bulk_create builds one huge statement per
    batch: far slower): ids are reserved from the table's sequence first, and every field left
    out takes its model default. Returns the new ids, in the order of `rows`."""
    if not rows:
        return []
    table = model._meta.db_table
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(rows)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        columns = ", ".join(["id", *(f.column for f in fields)])
        defaults = {f.attname: f.get_default() for f in fields}
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                values = [row.get(f.attname, row.get(f.name, defaults[f.attname])) for f in fields]
                copy.write_row([pk, *(_copy_value(v) for v in values)])
    return ids


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


def _copy_submission_patients(submission: Submission, patient_ids) -> None:
    """The submission's children (the M2M rows) with one COPY."""
    table = Submission.patients.through._meta.db_table
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} (submission_id, patient_id) FROM STDIN") as copy,
    ):
        for patient_id in patient_ids:
            copy.write_row((submission.pk, patient_id))


def _copy_visits(
    submission: Submission,
    period: AuditPeriod,
    patient_ids: dict[str, int],
    visits: Sequence[VisitRecord],
) -> None:
    columns = VISIT_COPY_FIELDS
    at = {name: i for i, name in enumerate(columns)}
    base = [None] * len(columns)  # a row of the table, filled per visit (fields are sparse)
    base[at["submission_id"]] = submission.pk
    base[at["dataset_year"]] = period.dataset_year
    base[at["revision"]] = 0
    other, bmi = at["hospital_admission_other"], at["bmi"]
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {Visit._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        ) as copy,
    ):
        for visit in visits:
            row = base.copy()
            for name, value in visit.fields.items():
                if name in at:
                    row[at[name]] = value
            row[other] = row[other] or ""
            row[at["patient_id"]] = patient_ids[visit.patient_key]
            row[at["source_row"]] = visit.source_row
            row[at["errors"]] = json.dumps(visit.errors) if visit.errors else "{}"
            row[at["is_valid"]] = not visit.errors
            if row[bmi] is None and not {"height", "weight"} & visit.errors.keys():
                row[bmi] = derived_bmi(visit.fields)
            copy.write_row(row)


def _copy_value(value):
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, date | Decimal | int | float | str | bool) or value is None:
        return value
    raise TypeError(f"cannot store {value!r}")
