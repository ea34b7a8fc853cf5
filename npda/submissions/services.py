"""The one entry point for CSV submissions, used by the upload page and the command."""

import itertools
import logging
import traceback
from collections import Counter
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils import timezone

from constants.csv_template import template_for
from npda.data_model.models import AuditPeriod, NPDAUser, PaediatricDiabetesUnit, Submission
from npda.submissions import messages
from npda.submissions.children import RecordBuilder
from npda.submissions.comparison import compare
from npda.submissions.reader import FatalError, Warning_
from npda.submissions.reader import read_upload as read_file
from npda.submissions.records import PatientRecord, VisitRecord
from npda.submissions.sign_off import YearSignedOff, frozen_message, standing_sign_off
from npda.submissions.store import store_submission

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
    comparison: dict | None = None  # against the unit's data in use before (Comparison)

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
            **({"comparison": self.comparison} if self.comparison is not None else {}),
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
    result: the file is read, checked and made the unit's data at once (the command line)."""
    today = today or timezone.localdate()
    try:
        records = yield from read_and_check(
            content, file_name, unit, period, user=user,
            allow_closed_period=allow_closed_period, today=today,
        )  # fmt: skip
        comparison = compare(unit, period, records.patients, records.visits)
        result = yield from _store(records, content, file_name, user)
        result.comparison = comparison.as_json() if result.accepted else None
        return result
    except Refused as refused:
        return refused.result
    except Exception as error:  # the store's transaction rolled back: nothing was written
        _log_failure_without_data(error, unit, period)
        return ImportResult("rejected", UNEXPECTED_FAILURE, messages.UNEXPECTED_FAILURE)


class Refused(Exception):
    """A file refused as a whole (§4), or for a year signed off: nothing is written."""

    def __init__(self, result: ImportResult):
        super().__init__(result.fatal_code)
        self.result = result


def read_and_check(
    content: bytes,
    file_name: str,
    unit: PaediatricDiabetesUnit,
    period: AuditPeriod,
    *,
    user: NPDAUser | None,
    allow_closed_period: bool | None,
    today: date,
) -> Generator[dict, None, "RecordBuilder"]:
    """Read the file and check every row: its children and visits, with progress events.
    Refused for a signed-off year or a file that fails a file-level check."""
    yield {"stage": "checking", "done": 0, "total": 0}
    sign_off = standing_sign_off(unit, period)
    if sign_off is not None:
        raise Refused(ImportResult("rejected", SIGNED_OFF, frozen_message(sign_off)))
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
        raise Refused(ImportResult("rejected", exc.code, exc.message)) from exc
    records = RecordBuilder(upload, unit, period, today)
    yield from records.build()
    return records


UNEXPECTED_FAILURE = "S01"
SIGNED_OFF = "S02"


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


def _store(
    records: RecordBuilder, content: bytes, file_name: str, user: NPDAUser | None
) -> Generator[dict, None, ImportResult]:
    unit, period = records.unit, records.period
    summary = summarise(records.patients, records.visits, records.warnings)
    yield {"stage": "saving", "done": 0, "total": len(records.visits)}
    try:
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
    except YearSignedOff as signed:  # signed off while the file was being checked
        return ImportResult("rejected", SIGNED_OFF, str(signed))
    logger.info(
        "Upload for %s %s accepted: %d children, %d visits",
        unit.pz_code,
        period,
        len(records.patients),
        len(records.visits),
    )
    yield {"stage": "saving", "done": len(records.visits), "total": len(records.visits)}
    return result_from_summary(submission, summary)


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
        "warnings_by_field": dict(sorted(Counter(w.field for w in warnings if w.field).items())),
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
