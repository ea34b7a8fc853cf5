"""An area's page (`/areas/<level>/<code>/`): its every measure beside England and Wales with
confidence intervals, its units ranked on one measure, a small map, and the tree around it.

Published, disclosure-controlled release rows only, read through the selectors; which releases
a visitor may choose is the map explorer's rule (`dashboards.map_data.release_choices`).
"""

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from aggregation import selectors
from aggregation.areas import Area
from aggregation.selectors import NotFound
from constants.disclosure import footnote
from constants.kpis import MEASURES_BY_NUMBER
from constants.levels import OGL_ATTRIBUTION, RCPCH_ATTRIBUTION, Level
from dashboards import area_data, area_files, exports
from dashboards import map_figures as fig
from dashboards.map_data import release_choices
from dashboards.map_state import DEFAULT_MEASURE, LATEST, MapState, area_map_query
from dashboards.measure_rows import grouped, measure_row
from dashboards.rendering import ImagesUnavailable
from npda.pages import published_files
from npda.pages.published_files import PublishedFile


def area_url(area: Area, **query) -> str:
    url = reverse("area-page", args=[area.level, area.code])
    return url + ("?" + urlencode(query) if query else "")


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
    unit_results = area_data.unit_results(page, measure_number)
    query = {"release": release.id, "measure": measure_number}
    map_query = area_map_query(level, code, measure_number)
    rows = [measure_row(r, page.national.get(r.measure), release.audit_year) for r in page.results]
    polarity = measure.polarity.value
    units = list(unit_results.values())
    order = MapState(level="pdu", measure=measure_number, sort=fig.best_first_sort(polarity))
    return render(
        request,
        "pages/area.html",
        {
            "page": page,
            "level_label": Level(level).label,
            "release": release,
            "footnote": footnote(release.disclosure_policy),
            "groups": grouped(rows),
            "measure": measure,
            "measures": MEASURES_BY_NUMBER.values(),
            "ranked": fig.ranked(fig.table_rows(units, order)),
            "rank_heading": fig.RANK_WORDS[polarity][0],
            "rank_order": fig.RANK_WORDS[polarity][1],
            "units_not_shown": fig.not_shown_text(units, "unit"),
            "ancestors": [(a, area_url(a, **query)) for a in page.ancestors],
            "children": [
                (a, area_url(a, **query) if a.level in selectors.AREA_PAGE_LEVELS else "")
                for a in page.children
            ],
            "map_svg": area_data.area_map(page, unit_results, measure.name),
            "map_explorer": reverse("maps") + "?" + urlencode(map_query),
            "attribution": f"{OGL_ATTRIBUTION} {RCPCH_ATTRIBUTION}",
        },
    )


@require_GET
def area_download(request: HttpRequest, level: str, code: str, fmt: str) -> HttpResponse:
    """An area's report file from a published release (`?release=`, default the latest final):
    public, like the open data API it repeats; unknown parts are a 404 that says which. Drawn
    once and kept (npda.pages.published_files)."""
    wanted = request.GET.get("release", LATEST).strip().lower() or LATEST
    try:
        area_files.check_format(fmt)
        release = selectors.resolve_release(wanted)
        file = PublishedFile(
            f"NPDA {release.label} release {release.id} {level} {code}.{fmt}",
            area_files.CONTENT_TYPES[fmt],
            ("area", fmt, level, code, release.id, release.created_at.isoformat()),
            immutable=wanted != LATEST,
        )

        def draw() -> bytes:
            return area_files.render(exports.area_export(release.id, level, code), fmt)[0]

        return published_files.serve(request, file, draw)
    except NotFound as error:
        raise Http404(str(error)) from error
    except ImagesUnavailable as error:
        return HttpResponse(str(error), status=503, content_type="text/plain; charset=utf-8")
