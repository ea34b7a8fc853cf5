"""The upload page, a checked draft's page (its comparison with the unit's data, and the
buttons that use it or discard it), each version's page and its error reports."""

import csv
import io
import json

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from constants.csv_template import TEMPLATES, template_for
from npda.accounts.activity import record_activity
from npda.data_model.audit_periods import ensure_audit_periods
from npda.data_model.models import ActivityType, AuditPeriod, PaediatricDiabetesUnit, Submission
from npda.data_model.scope import sees_all_units
from npda.spreadsheets import XLSX
from npda.submissions import reports, selectors
from npda.submissions.messages import RULE_TITLES
from npda.submissions.services import ImportResult
from npda.submissions.sign_off import YearSignedOff, standing_sign_off
from npda.submissions.size_limit import too_large_error
from npda.submissions.versions import (
    VersionRefused,
    check_steps,
    check_upload,
    confirm_draft,
    current_comparison,
    discard_draft,
    expire_drafts,
)


class UploadForm(forms.Form):
    paediatric_diabetes_unit = forms.ModelChoiceField(
        queryset=PaediatricDiabetesUnit.objects.none(), label="Unit", empty_label=None
    )
    audit_period = forms.ModelChoiceField(
        queryset=AuditPeriod.objects.none(), label="Audit year", empty_label=None
    )
    csv_file = forms.FileField(label="CSV file")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["paediatric_diabetes_unit"].queryset = selectors.units_for_user(user)
        self.fields["audit_period"].queryset = selectors.visible_audit_periods()


@login_required
@permission_required("npda.view_submission", raise_exception=True)
def upload(request: HttpRequest) -> HttpResponse:
    can_upload = request.user.has_perm("npda.upload_submission")
    ensure_audit_periods()  # a new audit year is offered from its first day
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST":
        if not can_upload:
            return HttpResponseForbidden("You do not have permission to upload data.")
        too_large = too_large_error(request)
        if too_large is not None:
            _record_upload(request, form.data.get("paediatric_diabetes_unit", ""), None)
            return _rejected(request, form, ImportResult("rejected", too_large.code,
                                                         too_large.message))  # fmt: skip
        if form.is_valid():
            return _process(request, form)
    history = selectors.submissions_for_user(request.user)[:20]
    return render(
        request,
        "submissions/upload.html",
        {"form": form, "can_upload": can_upload, "history": history, **_templates(form),
         **_your_years(request.user)},
    )  # fmt: skip


def _your_years(user) -> dict:
    """For a unit's staff, each of their units' open and latest ended years, with the deadline
    and sign-off; the audit team is pointed to the tracker instead."""
    if sees_all_units(user):
        return {"sees_all_units": True}
    return {"unit_years": selectors.unit_years(user, timezone.localdate())}


def _templates(form: UploadForm) -> dict:
    """Which template each audit year on offer needs, for the page's table and its hint."""
    periods = list(form.fields["audit_period"].queryset)
    years = [
        {"period": p, "template": template_for(p.dataset_year), "url": _template_url(p)}
        for p in periods
    ]
    hints = {str(y["period"].pk): {"text": _hint(y), "url": y["url"]} for y in years}
    return {"template_years": years, "template_hints": hints}


def _template_url(period: AuditPeriod) -> str:
    return reverse("upload-template", args=[period.dataset_year])


def _hint(year: dict) -> str:
    return f"{year['period']} uses the {year['template'].description}."


def _process(request: HttpRequest, form: UploadForm) -> HttpResponse:
    """Check the file and keep it as a draft; its page compares it with the unit's data."""
    data = form.cleaned_data
    upload_file = data["csv_file"]
    arguments = dict(
        content=upload_file.read(),
        file_name=upload_file.name,
        unit=data["paediatric_diabetes_unit"],
        period=data["audit_period"],
        user=request.user,
    )
    expire_drafts()
    if request.headers.get("Accept") == "application/x-ndjson":
        return StreamingHttpResponse(
            _stream(request, arguments), content_type="application/x-ndjson"
        )
    result = check_upload(**arguments).result
    _record_upload(request, arguments["unit"].pk, result)
    if result.accepted:
        return redirect("submission-detail", pk=result.submission_id)
    return _rejected(request, form, result)


def _record_upload(request, unit: str, result: ImportResult | None) -> None:
    """Every upload, checked or rejected (None: stopped at the size limit), is audited."""
    detail = (
        f"{unit}: checked as draft {result.submission_id}" if result and result.accepted
        else f"{unit}: rejected {result.fatal_code if result else 'F16'}"
    )  # fmt: skip
    record_activity(request, ActivityType.SUBMISSION_UPLOADED, user=request.user,
                    success=bool(result and result.accepted), detail=detail)  # fmt: skip


def _rejected(request: HttpRequest, form: UploadForm, result: ImportResult) -> HttpResponse:
    if request.headers.get("Accept") == "application/x-ndjson":
        outcome = {"stage": "done", **result.as_json(), "message": result.fatal_message}
        # As a streamed import ends (200, its outcome in the last line): the page shows it.
        return HttpResponse(json.dumps(outcome) + "\n", content_type="application/x-ndjson")
    history = selectors.submissions_for_user(request.user)[:20]
    return render(
        request,
        "submissions/upload.html",
        {
            "form": form,
            "can_upload": True,
            "history": history,
            "rejected": result,
            **_templates(form),
        },
        status=400,
    )


def _stream(request: HttpRequest, arguments: dict):
    """Progress events as lines of JSON while the file is checked, then the outcome."""
    steps = check_steps(**arguments)
    while True:
        try:
            yield json.dumps(next(steps)) + "\n"
        except StopIteration as finished:
            result: ImportResult = finished.value.result
            break
    _record_upload(request, arguments["unit"].pk, result)
    outcome = result.as_json()
    outcome["message"] = result.message or result.fatal_message
    if result.accepted:
        outcome["url"] = reverse("submission-detail", args=[result.submission_id])
    yield json.dumps({"stage": "done", **outcome}) + "\n"


def _submission_in_scope(request: HttpRequest, pk: int) -> Submission:
    if not request.user.has_perm("npda.view_submission"):
        raise Http404
    return get_object_or_404(selectors.submissions_for_user(request.user), pk=pk)


@login_required
@require_GET
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    expire_drafts()
    submission = _submission_in_scope(request, pk)
    return render(request, "submissions/submission_detail.html", _detail(request, submission))


def _detail(request: HttpRequest, submission: Submission) -> dict:
    summary = submission.errors or {}
    draft = submission.status == Submission.Status.DRAFT
    unit, period = submission.paediatric_diabetes_unit, submission.audit_period
    return {
        "submission": submission,
        "summary": summary,
        "rules": [
            (code, RULE_TITLES.get(code, ""), count)
            for code, count in sorted((summary.get("errors_by_rule") or {}).items())
        ],
        "fields": [
            (template_for(period.dataset_year).label(name), count)
            for name, count in sorted((summary.get("errors_by_field") or {}).items())
        ],
        "warning_fields": [
            (template_for(period.dataset_year).label(name), count)
            for name, count in sorted((summary.get("warnings_by_field") or {}).items())
        ],
        "children": selectors.children_with_errors(submission),
        "comparison": current_comparison(submission) if draft else None,
        "draft": draft,
        "can_upload": request.user.has_perm("npda.upload_submission"),
        "sign_off": standing_sign_off(unit, period),
        "history_url": reverse("submission-history", args=[unit.pk, period.start_date.year]),
        "draft_days": settings.NPDA_DRAFT_DAYS,
    }


def _by_heading(counts: dict[str, int], period: AuditPeriod) -> list[tuple[str, int]]:
    """Error counts by the column headings the unit knows, not by field name."""
    columns = template_for(period.dataset_year).by_field
    return [(columns[name].short_heading if name in columns else name, count)
            for name, count in sorted(counts.items())]  # fmt: skip


@login_required
@require_POST
def use_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft becomes the unit's data for its year."""
    draft = _draft_to_act_on(request, pk)
    try:
        confirm_draft(draft, request.user)
    except (VersionRefused, YearSignedOff) as refused:
        return _refused(request, draft, str(refused))
    record_activity(request, ActivityType.SUBMISSION_CONFIRMED, user=request.user, success=True,
                    detail=f"{draft.paediatric_diabetes_unit_id}: draft {draft.pk}")  # fmt: skip
    messages.success(request, f"This file is now {draft.paediatric_diabetes_unit_id}'s "
                              f"{draft.audit_period} data. Results are being updated.")  # fmt: skip
    return redirect("submission-detail", pk=draft.pk)


@login_required
@require_POST
def discard(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _draft_to_act_on(request, pk)
    try:
        discard_draft(draft, request.user)
    except VersionRefused as refused:
        return _refused(request, draft, str(refused))
    record_activity(request, ActivityType.SUBMISSION_DISCARDED, user=request.user, success=True,
                    detail=f"{draft.paediatric_diabetes_unit_id}: draft {draft.pk}")  # fmt: skip
    messages.info(request, "The draft was discarded: your data are unchanged.")
    return redirect("upload")


def _draft_to_act_on(request: HttpRequest, pk: int) -> Submission:
    if not request.user.has_perm("npda.upload_submission"):
        raise PermissionDenied("You do not have permission to change your unit's data.")
    return _submission_in_scope(request, pk)


def _refused(request: HttpRequest, submission: Submission, reason: str) -> HttpResponse:
    """The version's page again, saying why nothing was done (409: the request did not fit the
    version's state)."""
    submission.refresh_from_db()
    context = {**_detail(request, submission), "refusal": reason}
    return render(request, "submissions/submission_detail.html", context, status=409)


@login_required
@require_GET
def submission_errors_csv(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission_in_scope(request, pk)
    return _download(request, reports.errors_csv(submission), "text/csv", submission, "csv")


@login_required
@require_GET
def submission_errors_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission_in_scope(request, pk)
    return _download(
        request,
        reports.errors_xlsx(submission),
        XLSX,
        submission,
        "xlsx",
    )


def _download(request, content: bytes, content_type: str, submission: Submission, extension: str):
    """An error report names children (NHS numbers): each download is in the audit trail."""
    record_activity(request, ActivityType.REPORT_DOWNLOADED, user=request.user, success=True,
                    detail=f"error report ({extension}) of submission {submission.pk}")  # fmt: skip
    response = HttpResponse(content, content_type=content_type)
    name = (
        f"{submission.paediatric_diabetes_unit_id} {submission.audit_period} errors "
        f"{submission.submitted_at:%Y%m%d-%H%M}.{extension}"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def upload_template(request: HttpRequest, dataset_year: int) -> HttpResponse:
    """The blank template of a dataset year: its header row, headings exactly as published
    (`?identifier=urn`: Jersey's, with the Unique Reference Number in column 1)."""
    if dataset_year not in TEMPLATES:
        years = " and ".join(str(y) for y in TEMPLATES)
        raise Http404(f"There is no {dataset_year} template: the templates are {years}.")
    identifier = request.GET.get("identifier", "nhs")
    if identifier not in ("nhs", "urn"):
        return HttpResponseBadRequest('"identifier" must be "nhs" or "urn" (Jersey).')
    template = TEMPLATES[dataset_year]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(
        template.headings(jersey=identifier == "urn")
    )
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")
    suffix = " Jersey" if identifier == "urn" else ""
    name = f"NPDA {template.name}{suffix}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
