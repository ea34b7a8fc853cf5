"""The one entry point for CSV submissions, used by the upload page and the command."""

import itertools
import logging
import traceback
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils import timezone

from constants.csv_template import JERSEY_PZ_CODE, Template, template_for
from npda.data_model.models import AuditPeriod, NPDAUser, PaediatricDiabetesUnit, Submission
from npda.submissions import messages
from npda.submissions.cells import identifier_key
from npda.submissions.reader import FatalError, UploadFile, Warning_, patient_level_fields
from npda.submissions.reader import read_upload as read_file
from npda.submissions.records import PatientRecord, VisitRecord
from npda.submissions.store import store_submission
from npda.submissions.validation import child_dates, validate_patient, validate_visit

logger = logging.getLogger(__name__)
MAX_WARNINGS_KEPT = 200


@dataclass
class ImportResult:
    outcome: str  # "accepted" or "rejected"
    fatal_code: str = ""
    fatal_message: str = ""
    patients: int = 0
    visits: int = 0
    records_with_errors: int = 0
    errors_by_field: dict[str, int] = field(default_factory=dict)
    errors_by_rule: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    submission_id: int | None = None
    message: str = ""

    @property
    def accepted(self) -> bool:
        return self.outcome == "accepted"

    def as_json(self) -> dict:
        return {
            "outcome": self.outcome,
            "fatal_code": self.fatal_code or None,
            "fatal_message": self.fatal_message or None,
            "patients": self.patients,
            "visits": self.visits,
            "records_with_errors": self.records_with_errors,
            "errors_by_field": self.errors_by_field,
            "errors_by_rule": self.errors_by_rule,
            "warnings": self.warnings,
            "submission_id": self.submission_id,
        }


def can_upload_to_closed_period(user: NPDAUser | None) -> bool:
    """Audit-team members may; the command line (no user) is run by the audit team."""
    return user is None or user.has_perm("npda.upload_to_closed_period")


def import_submission(
    content: bytes,
    file_name: str,
    unit: PaediatricDiabetesUnit,
    period: AuditPeriod,
    *,
    user: NPDAUser | None = None,
    allow_closed_period: bool | None = None,
    today: date | None = None,
    progress: Callable[[dict], None] | None = None,
) -> ImportResult:
    """Check, validate and store one unit's file; a rejected file changes nothing."""
    steps = import_steps(
        content, file_name, unit, period,
        user=user, allow_closed_period=allow_closed_period, today=today,
    )  # fmt: skip
    while True:
        try:
            event = next(steps)
        except StopIteration as finished:
            return finished.value
        if progress is not None:
            progress(event)


def import_steps(
    content: bytes,
    file_name: str,
    unit: PaediatricDiabetesUnit,
    period: AuditPeriod,
    *,
    user: NPDAUser | None = None,
    allow_closed_period: bool | None = None,
    today: date | None = None,
) -> Generator[dict, None, ImportResult]:
    """The import as a generator of progress events ({stage, done, total}), returning the
    result: the upload page streams the events to the browser as they happen."""
    today = today or timezone.localdate()
    yield {"stage": "checking", "done": 0, "total": 0}
    try:
        upload = read_file(
            content,
            file_name,
            unit.pz_code,
            template=template_for(period.dataset_year),
            period_label=str(period),
            period_is_open=period.is_open,
            may_upload_to_closed_period=(
                can_upload_to_closed_period(user)
                if allow_closed_period is None
                else allow_closed_period
            ),
            size_limit_mb=settings.NPDA_UPLOAD_SIZE_LIMIT_MB,
        )
    except FatalError as exc:
        logger.info("Upload for %s rejected: %s", unit.pz_code, exc.code)
        return ImportResult("rejected", exc.code, exc.message)
    try:
        return (yield from _build_and_store(upload, content, file_name, unit, period, user, today))
    except Exception as error:  # the store's transaction rolled back: nothing was written
        _log_failure_without_data(error, unit, period)
        return ImportResult("rejected", UNEXPECTED_FAILURE, messages.UNEXPECTED_FAILURE)


UNEXPECTED_FAILURE = "S01"


def _log_failure_without_data(error: Exception, unit: PaediatricDiabetesUnit, period) -> None:
    """An exception's message can quote a cell, e.g. an NHS number in a database error's
    context or a KeyError; so the log gets its type and traceback, never its message."""
    logger.error(
        "Upload for %s %s failed (%s; message withheld, it may hold patient data):\n%s",
        unit.pz_code,
        period,
        type(error).__name__,
        "".join(traceback.format_tb(error.__traceback__)),
    )


def _build_and_store(
    upload: UploadFile,
    content: bytes,
    file_name: str,
    unit: PaediatricDiabetesUnit,
    period: AuditPeriod,
    user: NPDAUser | None,
    today: date,
) -> Generator[dict, None, ImportResult]:
    records = RecordBuilder(upload, unit, period, today)
    yield from records.build()
    summary = summarise(records.patients, records.visits, records.warnings)
    yield {"stage": "saving", "done": 0, "total": len(records.visits)}
    submission = store_submission(
        unit,
        period,
        records.patients,
        records.visits,
        submitted_by=user,
        file_name=file_name,
        file_content=content,
        summary=summary,
    )
    logger.info(
        "Upload for %s %s accepted: %d children, %d visits",
        unit.pz_code,
        period,
        len(records.patients),
        len(records.visits),
    )
    yield {"stage": "saving", "done": len(records.visits), "total": len(records.visits)}
    return result_from_summary(submission, summary)


class RecordBuilder:
    """One pass over the rows: each child from its first row, every row a visit (§5.6)."""

    PROGRESS_EVERY = 2000

    def __init__(
        self, upload: UploadFile, unit: PaediatricDiabetesUnit, period: AuditPeriod, today: date
    ):
        self.upload, self.unit, self.period, self.today = upload, unit, period, today
        self.template = template_for(period.dataset_year)
        self.patients: list[PatientRecord] = []
        self.visits: list[VisitRecord] = []
        self.warnings: list[Warning_] = list(upload.warnings)

    def build(self) -> Iterator[dict]:
        key_field = self.upload.identifier.field
        patient_fields = patient_level_fields(self.upload.identifier, self.template)
        jersey = self.unit.pz_code == JERSEY_PZ_CODE
        patients: dict[str, PatientRecord] = {}
        first_values: dict[str, dict[str, str | None]] = {}
        dates = {}
        seen_rows: dict[int, int] = {}  # hash of a row's content -> its first row number
        keys: dict[str, str] = {}
        total = self.upload.row_count
        for done, (number, cells_) in enumerate(self.upload.rows(), start=1):
            key = identifier_key(cells_[key_field], key_field)
            key = keys.setdefault(key, key)  # one string per child, not one per row
            signature = hash((key, *sorted(cells_.items())))
            if signature in seen_rows:
                self.warnings.append(
                    _warning("W04", number, row=number, earlier_row=seen_rows[signature])
                )
                continue
            seen_rows[signature] = number
            raw_patient = {name: cells_.get(name) for name in patient_fields}
            if key not in patients:
                first_values[key] = raw_patient
                fields, site, errors = validate_patient(
                    raw_patient,
                    template=self.template,
                    jersey=jersey,
                    period_start=self.period.start_date,
                    today=self.today,
                )
                patients[key] = PatientRecord(key, fields, site, errors)
                dates[key] = child_dates(fields, errors)
            else:
                self.warnings.extend(
                    _differences(first_values[key], raw_patient, number, self.template)
                )
            self._add_visit(key, number, cells_, raw_patient, dates[key])
            if done % self.PROGRESS_EVERY == 0:
                yield {"stage": "rows", "done": done, "total": total}
        self.patients = list(patients.values())
        yield {"stage": "rows", "done": total, "total": total}

    def _add_visit(self, key: str, number: int, cells_: dict, raw_patient: dict, dates) -> None:
        visit_cells = {k: v for k, v in cells_.items() if k not in raw_patient}
        fields, errors = validate_visit(visit_cells, dates, self.today, self.template)
        self.visits.append(VisitRecord(key, number, fields, errors))
        visit_date = fields.get("visit_date")
        period = self.period
        if visit_date and not period.start_date <= visit_date <= period.end_date:
            self.warnings.append(
                _warning("W01", number, date=visit_date.strftime("%d/%m/%Y"), period=str(period))
            )


def _warning(code: str, at_row: int, **values) -> Warning_:
    return Warning_(code, messages.WARNING[code].format(**values), at_row)


def _differences(first: dict, later: dict, row: int, template: Template) -> list[Warning_]:
    return [
        _warning("W02", row, column=template.label(name), value=first[name] or "blank")
        for name, value in later.items()
        if value is not None and value != first[name] and name != "paediatric_diabetes_unit"
    ]


def summarise(
    patients: list[PatientRecord], visits: list[VisitRecord], warnings: list[Warning_]
) -> dict:
    """Counts by field and by rule, and the warnings (capped), stored on the submission."""
    by_field: Counter[str] = Counter()
    by_rule: Counter[str] = Counter()
    with_errors = 0
    for record in itertools.chain(patients, visits):
        with_errors += bool(record.errors)
        for name, problems in record.errors.items():
            by_field[name] += len(problems)
            by_rule.update(problem["code"] for problem in problems)
    return {
        "errors_by_field": dict(sorted(by_field.items())),
        "errors_by_rule": dict(sorted(by_rule.items())),
        "records_with_errors": with_errors,
        "warnings_by_code": dict(sorted(Counter(w.code for w in warnings).items())),
        "warnings": [
            {"code": w.code, "row": w.row, "message": w.message}
            for w in warnings[:MAX_WARNINGS_KEPT]
        ],
    }


def result_from_summary(submission: Submission, summary: dict) -> ImportResult:
    return ImportResult(
        "accepted",
        patients=submission.patient_count,
        visits=submission.visit_count,
        records_with_errors=summary["records_with_errors"],
        errors_by_field=summary["errors_by_field"],
        errors_by_rule=summary["errors_by_rule"],
        warnings=summary["warnings_by_code"],
        submission_id=submission.pk,
        message=messages.ACCEPTED.format(
            children=submission.patient_count,
            visits=submission.visit_count,
            n_err=summary["records_with_errors"],
            period=submission.audit_period,
        ),
    )
