"""A unit's data-quality report for a year: the page and its workbook (private, audited)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from npda.accounts.activity import record_activity
from npda.data_model.models import ActivityType
from npda.data_model.scope import sees_all_units
from npda.spreadsheets import XLSX
from npda.submissions.quality import quality_report, quality_xlsx
from npda.submissions.views.versions import unit_and_period


def _report(request: HttpRequest, code: str, year: int):
    unit, period = unit_and_period(request, code, year)
    return quality_report(unit, period, today=timezone.localdate(),
                          name_other_units=sees_all_units(request.user))  # fmt: skip


@login_required
@require_GET
def quality_page(request: HttpRequest, code: str, year: int) -> HttpResponse:
    return render(request, "submissions/quality.html", {"report": _report(request, code, year)})


@login_required
@require_GET
def quality_workbook(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """It names children (NHS numbers): each download is in the audit trail."""
    report = _report(request, code, year)
    record_activity(request, ActivityType.REPORT_DOWNLOADED, user=request.user, success=True,
                    detail=f"data-quality workbook {report.unit.pk} {report.period}")  # fmt: skip
    response = HttpResponse(quality_xlsx(report), content_type=XLSX)
    name = f"{report.unit.pk} {report.period} data quality.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
