"""A unit's versions of a year (its upload history, with a way back to any earlier version)
and the year's sign-off. Identifiers of children never appear here; units and years are in the
URL, which may be shared within the unit."""

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aggregation.models import Release
from constants.numbers import whole_number, year_number
from npda.accounts.activity import record_activity
from npda.data_model.models import (
    ActivityType,
    AuditPeriod,
    PaediatricDiabetesUnit,
    Submission,
    SubmissionEvent,
)
from npda.data_model.scope import units_for_user
from npda.submissions import sign_off as sign_offs
from npda.submissions.selectors import active_version
from npda.submissions.sign_off import SignOffRefused, standing_sign_off
from npda.submissions.versions import VersionRefused, expire_drafts, restore_version

Action = SubmissionEvent.Action
ACTIVATIONS = (Action.CONFIRMED, Action.RESTORED, Action.IMPORTED)


def unit_and_period(request: HttpRequest, code: str, year: int):
    """The unit (one of the user's) and the audit period of a URL; 404 for anything else."""
    if not request.user.has_perm("npda.view_submission"):
        raise Http404("No such page.")
    unit = units_for_user(request.user).filter(pz_code=code.upper()).first()
    period = (
        AuditPeriod.objects.filter(start_date__year=year).first() if year_number(year) else None
    )
    if unit is None or period is None:
        raise Http404(f"There is no {code.upper()} {year} data for you to see.")
    return unit, period


@dataclass
class VersionRow:
    version: Submission
    spans: list[tuple[datetime, datetime | None]]  # when it was the unit's data
    made_by: str
    releases: list[Release]  # made while it was the unit's data: the results it produced
    restorable: bool


def _version_rows(unit: PaediatricDiabetesUnit, period: AuditPeriod) -> list[VersionRow]:
    versions = list(
        Submission.objects.filter(paediatric_diabetes_unit=unit, audit_period=period)
        .select_related("submitted_by", "records")
        .prefetch_related("events")
        .order_by("-submitted_at")
    )  # fmt: skip
    releases = list(Release.objects.filter(audit_period=period).order_by("created_at"))
    rows = []
    for version in versions:
        spans = _spans(version.events.all())
        rows.append(VersionRow(
            version, spans,
            version.submitted_by.get_full_name() if version.submitted_by else "the audit team",
            [r for r in releases if any(_within(r.created_at, span) for span in spans)],
            version.status == Submission.Status.SUPERSEDED and hasattr(version, "records"),
        ))  # fmt: skip
    return rows


def _spans(events) -> list[tuple[datetime, datetime | None]]:
    spans: list[tuple[datetime, datetime | None]] = []
    for event in events:
        if event.action in ACTIVATIONS:
            spans.append((event.at, None))
        elif event.action == Action.SUPERSEDED and spans and spans[-1][1] is None:
            spans[-1] = (spans[-1][0], event.at)
    return spans


def _within(moment: datetime, span: tuple[datetime, datetime | None]) -> bool:
    return span[0] <= moment and (span[1] is None or moment < span[1])


def _history_context(request, unit, period, **extra) -> dict:
    sign_off = standing_sign_off(unit, period)
    return {
        "unit": unit,
        "period": period,
        "rows": _version_rows(unit, period),
        "sign_off": sign_off,
        "can_restore": request.user.has_perm("npda.upload_submission") and sign_off is None,
        **extra,
    }


@login_required
@require_GET
def history(request: HttpRequest, code: str, year: int) -> HttpResponse:
    expire_drafts()
    unit, period = unit_and_period(request, code, year)
    return render(request, "submissions/history.html", _history_context(request, unit, period))


@login_required
@require_POST
def restore(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """One earlier version of this unit and year made its data again, with a reason."""
    unit, period = unit_and_period(request, code, year)
    if not request.user.has_perm("npda.upload_submission"):
        raise PermissionDenied("You do not have permission to change your unit's data.")
    version = _version_of(unit, period, request.POST.get("version", ""))
    reason = request.POST.get("reason", "")
    problem = ""
    if version is None:
        problem = f"That is not one of {unit.pk}'s {period} versions."
    else:
        try:
            restore_version(version, request.user, reason)
        except (VersionRefused, SignOffRefused) as refused:
            problem = str(refused)
    if problem:
        context = _history_context(request, unit, period, problem=problem,
                                   failed_version=request.POST.get("version", ""),
                                   reason=reason[:500])  # fmt: skip
        return render(request, "submissions/history.html", context, status=400)
    record_activity(request, ActivityType.SUBMISSION_RESTORED, user=request.user, success=True,
                    detail=f"{unit.pk} {period}: version {version.pk}")  # fmt: skip
    when = timezone.localtime(version.submitted_at)
    messages.success(
        request,
        f"The version of {when:%-d %B %Y %H:%M} is {unit.pk}'s {period} data again. Results "
        "are being updated.",
    )
    return redirect("submission-history", code=unit.pk, year=year)


def _version_of(unit, period, text: str) -> Submission | None:
    pk = whole_number(text)
    if pk is None:
        return None
    return Submission.objects.filter(
        pk=pk, paediatric_diabetes_unit=unit, audit_period=period
    ).first()


# Sign-off --------------------------------------------------------------------------------------


def days_left(deadline: date, today: date) -> int:
    return (deadline - today).days


def _sign_off_context(request, unit, period, **extra) -> dict:
    today = timezone.localdate()
    active = active_version(unit, period)
    return {
        "unit": unit,
        "period": period,
        "active": active,
        "standing": standing_sign_off(unit, period),
        "earlier": sign_offs.past_sign_offs(unit, period),
        "declaration": sign_offs.DECLARATION.format(unit=unit.pk, period=period),
        "year_ended": today > period.end_date,
        "deadline": period.deadline,
        "days_left": days_left(period.deadline, today),
        "days_passed": -days_left(period.deadline, today),
        "may_sign": sign_offs.may_sign_off(request.user, unit),
        "may_reopen": sign_offs.may_reopen(request.user),
        "history_url": reverse("submission-history", args=[unit.pk, period.start_date.year]),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def sign_off_page(request: HttpRequest, code: str, year: int) -> HttpResponse:
    unit, period = unit_and_period(request, code, year)
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            context = _sign_off_context(request, unit, period,
                                        problem="Tick the declaration to sign off.")  # fmt: skip
            return render(request, "submissions/sign_off.html", context, status=400)
        try:
            sign_offs.sign_off(unit, period, request.user)
        except SignOffRefused as refused:
            context = _sign_off_context(request, unit, period, problem=str(refused))
            return render(request, "submissions/sign_off.html", context, status=400)
        record_activity(request, ActivityType.YEAR_SIGNED_OFF, user=request.user, success=True,
                        detail=f"{unit.pk} {period}")  # fmt: skip
        messages.success(request, f"{unit.pk}'s {period} data are signed off.")
        return redirect("sign-off", code=unit.pk, year=year)
    return render(request, "submissions/sign_off.html", _sign_off_context(request, unit, period))


@login_required
@require_POST
def reopen(request: HttpRequest, code: str, year: int) -> HttpResponse:
    unit, period = unit_and_period(request, code, year)
    reason = request.POST.get("reason", "")
    try:
        sign_offs.reopen(unit, period, request.user, reason)
    except SignOffRefused as refused:
        context = _sign_off_context(request, unit, period, reopen_problem=str(refused),
                                    reason=reason[:500])  # fmt: skip
        return render(request, "submissions/sign_off.html", context, status=400)
    record_activity(request, ActivityType.YEAR_REOPENED, user=request.user, success=True,
                    detail=f"{unit.pk} {period}")  # fmt: skip
    messages.success(request, f"{unit.pk}'s {period} data are open for changes again; its lead "
                              "will need to sign off again.")  # fmt: skip
    return redirect("sign-off", code=unit.pk, year=year)
