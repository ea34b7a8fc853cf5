"""Upload page and upload results. Views only parse input, call a service or selector, render."""

import csv
import io
import json

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
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
from django.views.decorators.http import require_GET

from constants.csv_template import TEMPLATES, template_for
from npda.accounts.activity import record_activity
from npda.data_model.audit_periods import ensure_audit_periods
from npda.data_model.models import ActivityType, AuditPeriod, PaediatricDiabetesUnit, Submission
from npda.submissions import reports, selectors
from npda.submissions.messages import RULE_TITLES
from npda.submissions.services import ImportResult, import_steps, import_submission
from npda.submissions.size_limit import too_large_error


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
        {"form": form, "can_upload": can_upload, "history": history, **_templates(form)},
    )


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
    data = form.cleaned_data
    upload_file = data["csv_file"]
    arguments = dict(
        content=upload_file.read(),
        file_name=upload_file.name,
        unit=data["paediatric_diabetes_unit"],
        period=data["audit_period"],
        user=request.user,
    )
    if request.headers.get("Accept") == "application/x-ndjson":
        return StreamingHttpResponse(
            _stream(request, arguments), content_type="application/x-ndjson"
        )
    result = import_submission(**arguments)
    _record_upload(request, arguments["unit"].pk, result)
    if result.accepted:
        return redirect("submission-detail", pk=result.submission_id)
    return _rejected(request, form, result)


def _record_upload(request, unit: str, result: ImportResult | None) -> None:
    """Every upload, accepted or rejected (None: stopped at the size limit), is audited."""
    detail = (
        f"{unit}: submission {result.submission_id}" if result and result.accepted
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
    """Progress events as lines of JSON while the file is processed, then the outcome."""
    steps = import_steps(**arguments)
    while True:
        try:
            yield json.dumps(next(steps)) + "\n"
        except StopIteration as finished:
            result: ImportResult = finished.value
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
    submission = _submission_in_scope(request, pk)
    summary = submission.errors or {}
    return render(
        request,
        "submissions/submission_detail.html",
        {
            "submission": submission,
            "summary": summary,
            "rules": [
                (code, RULE_TITLES.get(code, ""), count)
                for code, count in sorted((summary.get("errors_by_rule") or {}).items())
            ],
            "children": selectors.children_with_errors(submission),
            "history": selectors.submissions_for_user(request.user).filter(
                paediatric_diabetes_unit=submission.paediatric_diabetes_unit,
                audit_period=submission.audit_period,
            ),
        },
    )


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
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
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
