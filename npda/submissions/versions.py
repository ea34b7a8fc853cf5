"""Versions of a unit's data for a year (issue 21): an upload is first a checked draft,
compared with the data in use; then made the unit's data, or discarded (by a person, or after
NPDA_DRAFT_DAYS). Any earlier version can be made the unit's data again, with a reason. Each
step is recorded (SubmissionEvent) and a signed-off year refuses them all."""

import datetime as dt
from collections.abc import Generator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from npda.data_model.models import (
    AuditPeriod,
    NPDAUser,
    PaediatricDiabetesUnit,
    Submission,
    SubmissionEvent,
    SubmissionRecords,
)
from npda.submissions import messages
from npda.submissions.comparison import Comparison, compare
from npda.submissions.records import unpack
from npda.submissions.selectors import active_version
from npda.submissions.services import (
    ImportResult,
    Refused,
    can_upload_to_closed_period,
    read_and_check,
    summarise,
)
from npda.submissions.store import VersionRefused, make_active, refuse_unless, save_draft

Action = SubmissionEvent.Action
TO_USE = (Submission.Status.DRAFT, "Only a checked draft can be used")
TO_DISCARD = (Submission.Status.DRAFT, "Only a checked draft can be discarded")
TO_RESTORE = (Submission.Status.SUPERSEDED,
              "Only an earlier version that was the unit's data can be restored")  # fmt: skip


@dataclass
class CheckResult:
    result: ImportResult  # rejected: the file failed a file-level check, nothing was kept
    comparison: Comparison | None = None
    draft: Submission | None = None


def check_steps(
    content: bytes,
    file_name: str,
    unit: PaediatricDiabetesUnit,
    period: AuditPeriod,
    *,
    user: NPDAUser | None = None,
    allow_closed_period: bool | None = None,
    today: dt.date | None = None,
    keep: bool = True,
) -> Generator[dict, None, CheckResult]:
    """Check a file and compare it with the unit's data in use, with progress events; kept as
    a draft (`keep`), or not kept at all (`import_submission --check`)."""
    today = today or timezone.localdate()
    try:
        records = yield from read_and_check(
            content, file_name, unit, period, user=user,
            allow_closed_period=allow_closed_period, today=today,
        )  # fmt: skip
    except Refused as refused:
        return CheckResult(refused.result)
    summary = summarise(records.patients, records.visits, records.warnings)
    yield {"stage": "comparing", "done": 0, "total": len(records.patients)}
    comparison = compare(unit, period, records.patients, records.visits)
    draft = None
    if keep:
        draft = save_draft(
            unit, period, records.patients, records.visits, submitted_by=user,
            file_name=file_name, file_content=content, summary=summary,
            comparison=comparison.as_json(),
        )  # fmt: skip
    result = ImportResult(
        "accepted",
        patients=len(records.patients),
        visits=len(records.visits),
        records_with_errors=summary["records_with_errors"],
        errors_by_field=summary["errors_by_field"],
        errors_by_rule=summary["errors_by_rule"],
        warnings=summary["warnings_by_code"],
        submission_id=draft.pk if draft else None,
        message=(messages.CHECKED if keep else messages.CHECKED_ONLY).format(
            children=len(records.patients), visits=len(records.visits)
        ),
    )
    return CheckResult(result, comparison, draft)


def check_upload(*args, **kwargs) -> CheckResult:
    """`check_steps` run to its end."""
    steps = check_steps(*args, **kwargs)
    while True:
        try:
            next(steps)
        except StopIteration as finished:
            return finished.value


def expire_drafts(now: dt.datetime | None = None) -> int:
    """Drafts nobody used or discarded within NPDA_DRAFT_DAYS are discarded (and their packed
    records dropped); returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.NPDA_DRAFT_DAYS)
    drafts = Submission.objects.filter(status=Submission.Status.DRAFT, submitted_at__lt=cutoff)
    stale = list(drafts.values_list("pk", flat=True))
    if stale:
        with transaction.atomic():
            Submission.objects.filter(pk__in=stale).update(status=Submission.Status.DISCARDED)
            SubmissionRecords.objects.filter(submission__in=stale).delete()
            SubmissionEvent.objects.bulk_create(
                SubmissionEvent(submission_id=pk, action=Action.EXPIRED) for pk in stale
            )
    return len(stale)


def current_comparison(draft: Submission) -> Comparison:
    """The draft's comparison, compared again if the unit's data in use have changed since."""
    comparison = Comparison.from_json(draft.comparison)
    active = active_version(draft.paediatric_diabetes_unit, draft.audit_period)
    edited_at = active.last_edited_at.isoformat() if active and active.last_edited_at else None
    if comparison.against != (active.pk if active else None) or comparison.edited_at != edited_at:
        patients, visits = unpack(bytes(draft.records.packed))
        comparison = compare(draft.paediatric_diabetes_unit, draft.audit_period, patients, visits)
        draft.comparison = comparison.as_json()
        draft.save(update_fields=["comparison"])
    return comparison


def confirm_draft(draft: Submission, user: NPDAUser) -> Submission:
    """The draft becomes the unit's data for its year (the previous version is kept)."""
    expire_drafts()
    draft.refresh_from_db()
    refuse_unless(draft, *TO_USE)
    if not draft.audit_period.is_open and not can_upload_to_closed_period(user):
        raise VersionRefused(messages.FATAL["F15"].format(period=draft.audit_period))
    return make_active(draft, by=user, action=Action.CONFIRMED, expected=TO_USE)


def discard_draft(draft: Submission, user: NPDAUser) -> Submission:
    """The row lock orders a discard with a confirm of the same draft (`make_active` takes it
    too, then checks the status again); a draft past its days has expired, not been
    discarded."""
    expire_drafts()
    with transaction.atomic():
        draft = Submission.objects.select_for_update().get(pk=draft.pk)
        refuse_unless(draft, *TO_DISCARD)
        draft.status = Submission.Status.DISCARDED
        draft.save(update_fields=["status"])
        SubmissionRecords.objects.filter(submission=draft).delete()
        SubmissionEvent.objects.create(submission=draft, action=Action.DISCARDED, by=user)
    return draft


def restore_version(version: Submission, user: NPDAUser, reason: str) -> Submission:
    """An earlier version (one that was the unit's data) made the unit's data again."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise VersionRefused("Say why this version is restored (a short reason is needed).")
    version.refresh_from_db()
    refuse_unless(version, *TO_RESTORE)
    if not SubmissionRecords.objects.filter(submission=version).exists():
        raise VersionRefused(
            "This version was stored before versions kept their checked records, so it cannot "
            "be restored: upload its file again."
        )
    if not version.audit_period.is_open and not can_upload_to_closed_period(user):
        raise VersionRefused(messages.FATAL["F15"].format(period=version.audit_period))
    return make_active(version, by=user, action=Action.RESTORED, expected=TO_RESTORE,
                       reason=reason[:500])  # fmt: skip
