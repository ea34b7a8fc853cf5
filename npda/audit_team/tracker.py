"""The audit team's submission tracker (`/submissions/tracker/`): every unit's status for an
audit year, sortable and filterable by its query string, and as CSV."""

import csv
import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from constants.numbers import year_number
from npda.data_model.models import AuditPeriod
from npda.data_model.scope import sees_all_units
from npda.spreadsheets import csv_row
from npda.submissions.tracker import SORT_KEYS, STATUSES, filtered_and_sorted, tracker_rows
from npda.submissions.versions import expire_drafts

CSV_HEADINGS = ["Unit", "Name", "Status", "Last upload", "Children", "Completeness %",
                "Records with errors", "Signed off by", "Days to deadline"]  # fmt: skip


def _period(request: HttpRequest) -> AuditPeriod:
    """`?year=` (default: the latest year that has ended, else the open one)."""
    periods = AuditPeriod.objects.order_by("-start_date")
    year = request.GET.get("year", "")
    if year:
        number = year_number(year)
        period = periods.filter(start_date__year=number).first() if number else None
        if period is None:
            raise Http404(f"There is no audit year {year[:10]!r}.")
        return period
    today = timezone.localdate()
    return periods.filter(end_date__lt=today).first() or periods.first()


@login_required
@require_GET
def tracker(request: HttpRequest) -> HttpResponse:
    if not sees_all_units(request.user):
        raise PermissionDenied("The tracker is the RCPCH audit team's.")
    expire_drafts()
    period = _period(request)
    status, sort = request.GET.get("status", ""), request.GET.get("sort", "unit")
    everyone = tracker_rows(period, timezone.localdate())
    rows = filtered_and_sorted(everyone, status, sort)
    if request.GET.get("format") == "csv":
        return _csv(rows, period)
    counts = {s: sum(r.status == s for r in everyone) for s in STATUSES}
    return render(request, "audit_team/tracker.html", {
        "period": period, "rows": rows, "status": status, "sort": sort, "counts": counts,
        "statuses": STATUSES, "sort_keys": SORT_KEYS,
        "years": AuditPeriod.objects.order_by("-start_date"), "deadline": period.deadline,
        "days_left": (period.deadline - timezone.localdate()).days,
    })  # fmt: skip


def _csv(rows, period: AuditPeriod) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADINGS)
    for r in rows:
        writer.writerow(csv_row([
            r.code, r.name, r.status, r.last_upload.isoformat() if r.last_upload else "",
            r.children, r.completeness, r.errors, r.signed_by, r.days_to_deadline,
        ]))  # fmt: skip
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="NPDA tracker {period}.csv"'
    return response
