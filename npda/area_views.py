"""An area's page (`/areas/<level>/<code>/`): its every measure beside England and Wales with
confidence intervals, its units ranked on one measure, a small map, and the tree around it.

Published, disclosure-controlled release rows only, read through the selectors; which releases
a visitor may choose is the map explorer's rule (`dashboards.map_data.release_choices`).
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from aggregation import selectors
from aggregation.areas import Area
from aggregation.selectors import AreaResult, NotFound
from boundaries import selectors as boundaries
from constants.disclosure import footnote
from constants.kpis import DEFINITIONS, MEASURES_BY_NUMBER
from constants.levels import OGL_ATTRIBUTION, RCPCH_ATTRIBUTION, Level
from dashboards import exports
from dashboards import map_figures as fig
from dashboards.area_map import MapPoint, area_map_svg
from dashboards.map_data import release_choices
from dashboards.map_state import CHILD_LEVEL, COUNTRY_CHILD, DEFAULT_MEASURE, LATEST, MapState

POLYGON_LEVELS = ("icb", "region", "lhb", "country")
RANKED = MapState(level="pdu", sort="-value")  # units, highest value first


@dataclass(frozen=True)
class MeasureRow:
    number: str
    name: str
    group: str
    definition: str
    value: str
    counts: str  # "n of N"
    interval: str
    comparison: str
    national: str


def area_url(area: Area, **query) -> str:
    url = reverse("area-page", args=[area.level, area.code])
    return url + ("?" + urlencode(query) if query else "")


def _measure_row(result: AreaResult, national: AreaResult | None) -> MeasureRow:
    measure = MEASURES_BY_NUMBER[result.measure]
    return MeasureRow(
        number=measure.number,
        name=measure.name,
        group=measure.group.value,
        definition=DEFINITIONS[measure.number],
        value=fig.format_value(result.value, result.unit, suppressed=result.suppressed),
        counts=fig.counts_text(result),
        interval="*" if result.suppressed else fig.format_interval(result.ci95),
        comparison=fig.comparison_words(result) if result.level != "national" else "",
        national="" if national is None else fig.format_value(national.value, national.unit),
    )


def _release(request: HttpRequest):
    wanted = request.GET.get("release", LATEST).strip().lower() or LATEST
    allowed = {c.value for c in release_choices(request.user) if c.value != LATEST}
    try:
        release = selectors.resolve_release(wanted)
    except NotFound as error:
        raise Http404(str(error)) from error
    if str(release.id) not in allowed:
        raise Http404(f"Release {wanted} is not available to you.")
    return release


def _map(page, level: str, results: dict[str, AreaResult], measure_name: str) -> str:
    if level == "national":
        geometry = boundaries.area_geometry("country")
        shapes, context = list(geometry.values()), []
    elif level in POLYGON_LEVELS:
        own = boundaries.area_geometry(level).get(page.area.code)
        shapes, context = ([own] if own else []), []
    else:  # networks and trusts have no shape: their units over England and Wales
        shapes, context = [], list(boundaries.area_geometry("country").values())
    colour = fig.Colouring("comparison")
    inside = {u.code for u in page.units}
    points = []
    for unit in boundaries.unit_points():
        code = unit["pz_code"]
        if code not in inside:
            continue
        result = results.get(code)
        points.append(
            MapPoint(
                code, unit["longitude"], unit["latitude"],
                colour.fill(result) if result else fig.NO_DATA_COLOUR,
                "; ".join(fig.tooltip_lines(result, measure_name)) if result else unit["name"],
            )
        )  # fmt: skip
    title = f"Map of {page.area.name} and its units, coloured by comparison on {measure_name}"
    return area_map_svg(shapes, points, title, context=context)


def area_page(request: HttpRequest, level: str, code: str) -> HttpResponse:
    if level not in selectors.AREA_PAGE_LEVELS:
        raise Http404(f"There are no area pages for the level {level!r}.")
    measure_number = request.GET.get("measure", DEFAULT_MEASURE)
    if measure_number not in MEASURES_BY_NUMBER:
        raise Http404(f"There is no measure {measure_number!r}.")
    release = _release(request)
    try:
        page = selectors.area_page(release.id, level, code)
    except NotFound as error:
        raise Http404(str(error)) from error
    measure = MEASURES_BY_NUMBER[measure_number]
    inside = {u.code for u in page.units}
    unit_results = {
        r.area_code: r for r in selectors.area_results(release.id, "pdu", measure_number)
        if r.area_code in inside
    }  # fmt: skip
    query = {"release": release.id, "measure": measure_number}
    child_level = COUNTRY_CHILD.get(code) if level == "country" else CHILD_LEVEL.get(level)
    map_query = {"level": child_level or "pdu", "area": code, "measure": measure_number}
    if level == "national":
        map_query = {"level": "country", "measure": measure_number}
    groups: dict[str, list[MeasureRow]] = {}
    for result in page.results:
        row = _measure_row(result, page.national.get(result.measure))
        groups.setdefault(row.group, []).append(row)
    return render(
        request,
        "npda/area.html",
        {
            "page": page,
            "level_label": Level(level).label,
            "release": release,
            "footnote": footnote(release.disclosure_policy),
            "groups": groups.items(),
            "measure": measure,
            "measures": MEASURES_BY_NUMBER.values(),
            "ranked": enumerate(fig.table_rows(list(unit_results.values()), RANKED), 1),
            "ancestors": [(a, area_url(a, **query)) for a in page.ancestors],
            "children": [
                (a, area_url(a, **query) if a.level in selectors.AREA_PAGE_LEVELS else "")
                for a in page.children
            ],
            "map_svg": _map(page, level, unit_results, measure.name),
            "map_explorer": reverse("maps") + "?" + urlencode(map_query),
            "attribution": f"{OGL_ATTRIBUTION} {RCPCH_ATTRIBUTION}",
        },
    )


@require_GET
def area_download(request: HttpRequest, level: str, code: str, fmt: str) -> HttpResponse:
    """An area's report file from a published release (`?release=`, default the latest final):
    public, like the open data API it repeats; unknown parts are a 404 that says which."""
    try:
        export = exports.area_export(request.GET.get("release", "latest"), level, code)
        content, content_type = exports.render(export, fmt)
    except NotFound as error:
        raise Http404(str(error)) from error
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.file_stem}.{fmt}"'
    return response
