"""A unit's own workspace (issue 22): its landing page for a year, its children, each child's
record and what is due. The private unit view (disclosure-control.md §1): NHS numbers are shown
in the page, never in a URL (a search sends the number in a POST body); every read is scoped to
the user's units, and every child's record opened and every list downloaded is audited."""

import csv
import io
from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from constants import codes
from constants.kpis import MEASURES_BY_NUMBER, name_for
from constants.numbers import whole_number
from npda.accounts.activity import record_activity
from npda.data_model.models import (
    ActivityType,
    Patient,
    PDUKPIAggregation,
)
from npda.data_model.scope import sees_all_units, units_for_user
from npda.spreadsheets import XLSX, add_sheet, csv_row, new_workbook
from npda.submissions import edits
from npda.workspace import common, history, selectors
from npda.workspace.common import period_for, unit_for, year_choices
from npda.workspace.selectors import FLAGS, SORT_KEYS, ChildFilter

HEADLINE_MEASURES = ("44", "32.1", "25", "24", "23")
DOWNLOAD_HEADINGS = ["NHS number", "Age", "Diabetes type", "Diagnosis date", "Contacts",
                     "Last contact", "Completeness %", "Health checks done",
                     "Health checks expected", "Latest HbA1c", "HbA1c date", "Flags"]  # fmt: skip


# Where a person lands ---------------------------------------------------------------------------


@login_required
def landing(request: HttpRequest) -> HttpResponse:
    """After login: the audit team to its page, a unit's staff to their unit's workspace (a
    person of several units chooses), anyone else to the home page."""
    if sees_all_units(request.user):
        return redirect("audit-team")
    units = list(units_for_user(request.user).order_by("pz_code"))
    if len(units) == 1:
        return redirect("workspace", code=units[0].pk)
    if not units:
        return redirect("home")
    return render(request, "workspace/choose.html", {"units": units})


# The workspace ----------------------------------------------------------------------------------


@login_required
@require_GET
def workspace(request: HttpRequest, code: str) -> HttpResponse:
    unit, period = unit_for(request, code), period_for(request)
    today = common.today()
    children = selectors.unit_due(unit, period, today)
    version = selectors.active_version(unit, period)
    headline = PDUKPIAggregation.objects.filter(
        audit_period=period, paediatric_diabetes_unit=unit, measure_id__in=HEADLINE_MEASURES
    )  # fmt: skip
    pending = selectors.results_pending(unit, period)
    return render(request, "workspace/workspace.html", {
        "unit": unit, "period": period, "years": year_choices(), "version": version,
        "deadline": period.deadline, "days_left": (period.deadline - today).days,
        "headline": sorted(headline, key=lambda r: HEADLINE_MEASURES.index(r.measure_id)),
        "names": {n: name_for(n, period.start_date.year) for n in HEADLINE_MEASURES},
        "pending": pending, "children": len(children),
        "overdue": sum(c.overdue for c in children),
        "due_soon": sum(c.due_soon for c in children),
    })  # fmt: skip


# The children ------------------------------------------------------------------------------------


def _filter(request: HttpRequest) -> ChildFilter:
    """The list's filters from the query string; values that are not offered are ignored."""
    data = request.GET
    kind = data.get("type", "")
    measure = data.get("measure", "")
    return ChildFilter(
        flag=data.get("flag", "") if data.get("flag", "") in FLAGS else "",
        diabetes_type=whole_number(kind) if whole_number(kind) in codes.DiabetesType.values
        else None,
        measure=measure if measure in MEASURES_BY_NUMBER else "",
        measure_state=data.get("state", "") if data.get("state") in ("failed", "incomplete")
        else "",
        due=data.get("due", "") if data.get("due") in ("overdue", "soon") else "",
        sort=data.get("sort", "identifier") if data.get("sort", "identifier").removeprefix("-")
        in SORT_KEYS else "identifier",
    )  # fmt: skip


@login_required
def children(request: HttpRequest, code: str) -> HttpResponse:
    """GET: the list, filtered and sorted by its query string; POST: a search by NHS number,
    sent in the body so that the number never reaches a URL or an access log."""
    unit, period = unit_for(request, code), period_for(request)
    today = common.today()
    chosen = _filter(request)
    everyone = selectors.unit_children(unit, period, today, [chosen.measure])
    searched = ""
    if request.method == "POST":
        searched = selectors.search_key(request.POST.get("nhs_number", ""))
        rows = [c for c in everyone if searched and searched in c.identifier.replace(" ", "")]
    else:
        rows = selectors.filtered(everyone, chosen, today)
    page = Paginator(rows, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page:
        row.age_today = row.age(today)
    return render(request, "workspace/children.html", {
        "unit": unit, "period": period, "years": year_choices(), "page": page,
        "total": len(everyone), "shown": len(rows), "chosen": chosen, "flags": FLAGS,
        "types": codes.DiabetesType.choices, "measures": MEASURES_BY_NUMBER.values(),
        "today": today, "searched": request.method == "POST", "search_empty": not searched,
        "query": request.GET.urlencode(), "page_query": _without_page(request),
        "sort_options": _sort_options(),
    })  # fmt: skip


def _without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _sort_options() -> list[tuple[str, str]]:
    return [option for key, label in selectors.SORT_LABELS.items()
            for option in ((key, f"{label.capitalize()}, lowest first"),
                           (f"-{key}", f"{label.capitalize()}, highest first"))]  # fmt: skip


@login_required
@require_GET
def children_download(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """The list as filtered, as CSV or XLSX: it names children, so each download is audited."""
    if fmt not in ("csv", "xlsx"):
        raise Http404("The list comes as csv or xlsx.")
    unit, period = unit_for(request, code), period_for(request)
    today = common.today()
    chosen = _filter(request)
    everyone = selectors.unit_children(unit, period, today, [chosen.measure])
    rows = selectors.filtered(everyone, chosen, today)
    table = [_download_row(child, today) for child in rows]
    detail = f"children of {unit.pk} {period} ({fmt}, {len(table)} rows)"
    record_activity(request, ActivityType.REPORT_DOWNLOADED, user=request.user, success=True,
                    detail=detail)  # fmt: skip
    return _table_file(f"{unit.pk} {period} children", DOWNLOAD_HEADINGS, table, fmt)


def _download_row(child, today: date) -> list:
    return [
        child.identifier, child.age(today), child.type_label,
        _day(child.diagnosis_date), child.contacts, _day(child.last_contact),
        round(child.completeness, 1) if child.completeness is not None else None,
        child.checks_done, child.checks_expected, child.hba1c, _day(child.hba1c_date),
        "; ".join(FLAGS[f] for f in sorted(child.flags)),
    ]  # fmt: skip


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _table_file(stem: str, headings: list[str], rows: list[list], fmt: str) -> HttpResponse:
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headings)
        writer.writerows(csv_row(row) for row in rows)
        content, kind = buffer.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    else:
        output = io.BytesIO()
        book = new_workbook(output)
        add_sheet(book, "List", headings, rows)
        book.close()
        content, kind = output.getvalue(), XLSX
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


# A child's record --------------------------------------------------------------------------------


@login_required
@require_GET
def child(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """One child (by its internal id, never an NHS number) of one of the user's units."""
    unit, period = unit_for(request, code), period_for(request)
    patient = get_object_or_404(Patient.objects.filter(sites__paediatric_diabetes_unit=unit)
                                .distinct(), pk=pk)  # fmt: skip
    record = selectors.child_record(unit, period, patient, common.today())
    record_activity(request, ActivityType.CHILD_RECORD_VIEWED, user=request.user, success=True,
                    detail=f"patient {patient.pk} of {unit.pk} {period}")  # fmt: skip
    year = period.start_date.year
    read_only = edits.read_only_reason(unit, period, request.user)
    in_year = selectors.in_year_data(unit, period).filter(patient_id=patient.pk).exists()
    if not read_only and not in_year:
        read_only = (f"This child is not in {unit.pk}'s {period} data: their details and "
                     "contacts are changed through a year they are in.")  # fmt: skip
    return render(request, "workspace/child.html", {
        "unit": unit, "period": period, "years": year_choices(), "record": record,
        "children_url": reverse("unit-children", args=[unit.pk]) + f"?year={year}",
        "read_only": read_only, "pending": selectors.results_pending(unit, period),
        "may_change": not read_only and request.user.has_perm("npda.change_visit"),
        "may_remove": not read_only and request.user.has_perm("npda.delete_visit"),
        "changes": history.child_changes(patient, period.dataset_year),
    })  # fmt: skip


# What is due -------------------------------------------------------------------------------------


@login_required
@require_GET
def due(request: HttpRequest, code: str, fmt: str = "") -> HttpResponse:
    """Every child and care process not done: due date, days left, or missed."""
    unit, period = unit_for(request, code), period_for(request)
    today = common.today()
    items = selectors.due_list(selectors.unit_due(unit, period, today))
    # Every process with something due is offered, whichever is chosen.
    processes = sorted({(i.number, i.name) for _, i in items}, key=lambda p: _order(p[0]))
    process = request.GET.get("process", "")
    if process in MEASURES_BY_NUMBER:
        items = [(c, i) for c, i in items if i.number == process]
    if request.GET.get("overdue") == "1":
        items = [(c, i) for c, i in items if i.overdue]
    if fmt:
        if fmt not in ("csv", "xlsx"):
            raise Http404("The list comes as csv or xlsx.")
        record_activity(request, ActivityType.REPORT_DOWNLOADED, user=request.user,
                        success=True, detail=f"due list of {unit.pk} {period} ({fmt})")  # fmt: skip
        table = [[c.identifier, i.number, i.name, _day(i.due),
                  i.days_left if i.days_left >= 0 else None,
                  "missed" if i.overdue else "due"] for c, i in items]  # fmt: skip
        return _table_file(f"{unit.pk} {period} due", ["NHS number", "Measure", "Care process",
                                                       "Due by", "Days left", "Status"],
                           table, fmt)  # fmt: skip
    page = Paginator(items, 100).get_page(request.GET.get("page"))
    return render(request, "workspace/due.html", {
        "unit": unit, "period": period, "years": year_choices(), "page": page,
        "count": len(items), "processes": processes, "process": process,
        "overdue": request.GET.get("overdue") == "1", "query": request.GET.urlencode(),
        "page_query": _without_page(request),
    })  # fmt: skip


def _order(number: str) -> tuple[int, int]:
    return MEASURES_BY_NUMBER[number].sort_key
