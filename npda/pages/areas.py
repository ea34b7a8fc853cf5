"""Areas: the index of every area by level (`/areas/`, `/areas/<level>/`), and an area's page
(`/areas/<level>/<code>/`): its every measure beside England and Wales with confidence
intervals, the trend of a chosen measure across releases, its units ranked on it (each linked
to its page), a small map, and the tree around it.

Published, disclosure-controlled release rows only, read through the selectors; which releases
a visitor may choose is the map explorer's rule (`dashboards.map_data.release_choices`): final
releases for everyone, provisional ones for signed-in roles.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_safe

from aggregation import selectors
from aggregation.areas import Area, within
from aggregation.selectors import NotFound, ReleaseSummary
from constants.disclosure import footnote
from constants.kpis import MEASURES, MEASURES_BY_NUMBER
from constants.levels import OGL_ATTRIBUTION, RCPCH_ATTRIBUTION, Level
from dashboards import area_data, area_files, area_trend, exports
from dashboards import map_figures as fig
from dashboards.first_view import figure_json
from dashboards.map_data import release_choices
from dashboards.map_state import DEFAULT_MEASURE, LATEST, MapState, area_map_query
from dashboards.measure_rows import grouped, measure_row
from dashboards.rendering import ImagesUnavailable
from npda.pages import published_files
from npda.pages.published_files import PublishedFile
from npda.pages.views import asset_version

# The levels of the area index, in the order people look for them; units have /units/.
INDEX_LEVELS = {
    "icb": "Integrated Care Boards",
    "lhb": "Welsh health boards",
    "region": "NHS England regions",
    "trust": "NHS trusts",
    "network": "Paediatric diabetes networks",
    "country": "Countries",
    "national": "England and Wales",
}
MAX_FILTER_CHARS = 100


def area_url(area: Area, **query) -> str:
    url = reverse("area-page", args=[area.level, area.code])
    return url + ("?" + urlencode(query) if query else "")


# The index ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexEntry:
    name: str
    code: str
    url: str
    within: str  # the area it sits in ("" for the top of the tree)
    units: int  # units inside it


def _index_release() -> ReleaseSummary:
    latest = selectors.latest_final_release()
    if latest is None:
        raise Http404("There are no published results yet, so no area pages.")
    return latest


def _entries(level: str, release: ReleaseSummary) -> list[IndexEntry]:
    """Every area of a level in the release's geography, with its parent and units."""
    every = selectors.areas(None, release.id)
    names = {(a.level, a.code): a.name for a in every}
    tree = selectors.area_tree(release.id)
    members = {node.code: len(node.children) for node in [*tree.networks, *tree.trusts]}
    entries = []
    for area in (a for a in every if a.level == level):
        if level in ("network", "trust"):
            units = members.get(area.code, 0)
        else:
            units = sum(1 for code in within(area.code, every) if names.get(("pdu", code)))
        parent = names.get((area.parent_level, area.parent_code), "")
        entries.append(
            IndexEntry(fig.plain_name(area.name), area.code, area_url(area), parent, units)
        )
    return sorted(entries, key=lambda e: e.name.lower())


@require_safe
def areas_index(request: HttpRequest) -> HttpResponse:
    """Every level, with how many areas it has and a link to each level's list."""
    release = _index_release()
    counts: dict[str, int] = {}
    for area in selectors.areas(None, release.id):
        counts[area.level] = counts.get(area.level, 0) + 1
    levels = [(level, label, counts.get(level, 0)) for level, label in INDEX_LEVELS.items()]
    return render(
        request,
        "pages/areas_index.html",
        {"levels": levels, "release": release, "units": counts.get("pdu", 0)},
    )


@require_safe
def level_index(request: HttpRequest, level: str) -> HttpResponse:
    """Every area of a level, linked; `?q=` keeps those whose name or code holds it."""
    if level not in INDEX_LEVELS:
        known = ", ".join(INDEX_LEVELS)
        raise Http404(f"There is no level {level[:40]!r}: choose one of {known}.")
    release = _index_release()
    query = request.GET.get("q", "").strip()[:MAX_FILTER_CHARS]
    entries = _entries(level, release)
    wanted = query.lower()
    shown = [e for e in entries if wanted in e.name.lower() or wanted in e.code.lower()]
    return render(
        request,
        "pages/areas_level.html",
        {
            "level": level,
            "label": INDEX_LEVELS[level],
            "entries": shown,
            "total": len(entries),
            "query": query,
            "release": release,
        },
    )


# An area's page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseOption:
    value: str
    label: str
    selected: bool


def release_options(user, chosen: ReleaseSummary) -> list[tuple[str, list[ReleaseOption]]]:
    """The releases the visitor may choose, by name, finals and provisionals apart."""
    allowed = {c.value for c in release_choices(user)}
    current = [r for r in selectors.releases(current_only=True) if str(r.id) in allowed]
    if chosen.id not in {r.id for r in current}:  # an older, superseded release asked for
        current.append(chosen)
    groups = (("Final results", "final"), ("Provisional results (year to date)", "provisional"))
    return [
        (label, [ReleaseOption(str(r.id), f"{r.label} release", r.id == chosen.id)
                 for r in current if r.kind == kind])
        for label, kind in groups
        if any(r.kind == kind for r in current)
    ]  # fmt: skip


def _release(request: HttpRequest) -> ReleaseSummary:
    wanted = request.GET.get("release", LATEST).strip().lower() or LATEST
    allowed = {c.value for c in release_choices(request.user) if c.value != LATEST}
    try:
        release = selectors.resolve_release(wanted)
    except NotFound as error:
        raise Http404(str(error)) from error
    if str(release.id) not in allowed and release.kind != "final":
        raise Http404(f"Release {wanted[:20]} is not available to you.")
    return release


def _measure(request: HttpRequest) -> str:
    number = request.GET.get("measure", DEFAULT_MEASURE).strip() or DEFAULT_MEASURE
    if number not in MEASURES_BY_NUMBER:
        raise Http404(f"There is no measure {number[:20]!r}.")
    return number


def _units_ranked(results: dict, measure, release: ReleaseSummary) -> tuple[list, str]:
    """The area's units best first (rank 1 the best: ADR 0022), each linked to its page in the
    same release and measure; and how many are not shown, and why."""
    units = list(results.values())
    order = MapState(level="pdu", measure=measure.number,
                     sort=fig.best_first_sort(measure.polarity.value))  # fmt: skip
    query = {"release": release.id, "measure": measure.number}

    def unit_page(result) -> str:
        return reverse("unit-page", args=[result.area_code]) + "?" + urlencode(query)

    return fig.ranked(fig.table_rows(units, order, unit_page)), fig.not_shown_text(units, "unit")


@require_safe
def area_page(request: HttpRequest, level: str, code: str) -> HttpResponse:
    if level not in selectors.AREA_PAGE_LEVELS:
        raise Http404(f"There are no area pages for the level {level[:40]!r}.")
    measure = MEASURES_BY_NUMBER[_measure(request)]
    release = _release(request)
    try:
        page = selectors.area_page(release.id, level, code)
    except NotFound as error:
        raise Http404(str(error)) from error
    query = {"release": release.id, "measure": measure.number}
    rows = [measure_row(r, page.national.get(r.measure), release.audit_year) for r in page.results]
    unit_results = area_data.unit_results(page, measure.number)
    ranked, not_shown = _units_ranked(unit_results, measure, release)
    polarity = measure.polarity.value
    trend = area_trend.area_trend(page.area, measure.number, release)
    download = urlencode(query)
    return render(
        request,
        "pages/area.html",
        {
            "page": page,
            "area_name": fig.plain_name(page.area.name),
            "level_label": Level(level).label,
            "release": release,
            "release_groups": release_options(request.user, release),
            "footnote": footnote(release.disclosure_policy),
            "groups": grouped(rows),
            "measure": measure,
            "measures": MEASURES,
            "ranked": ranked,
            "rank_heading": fig.RANK_WORDS[polarity][0],
            "rank_order": fig.RANK_WORDS[polarity][1],
            "units_not_shown": not_shown,
            "ancestors": [(a, area_url(a, **query)) for a in page.ancestors],
            "children": [
                (a, area_url(a, **query) if a.level in selectors.AREA_PAGE_LEVELS else "")
                for a in page.children
            ],
            "map_svg": area_data.area_map(page, unit_results, measure.name),
            "map_explorer": reverse("maps")
            + "?"
            + urlencode({**area_map_query(level, code, measure.number), "release": release.id}),
            "trend": trend,
            "trend_figure": figure_json(trend.figure),
            "download_query": download,
            "asset_version": asset_version(),
            "attribution": f"{OGL_ATTRIBUTION} {RCPCH_ATTRIBUTION}",
        },
    )


@require_GET
def area_download(request: HttpRequest, level: str, code: str, fmt: str) -> HttpResponse:
    """An area's report file from a published release (`?release=`, default the latest final;
    `?measure=` for the PDF report and the map, default 44): public, like the open data API it
    repeats; unknown parts are a 404 that says which. Drawn once and kept
    (npda.pages.published_files): the key holds the measure where the file shows one, and for
    the PDF, whose trend spans every release, every current release."""
    wanted = request.GET.get("release", LATEST).strip().lower() or LATEST
    measure = _measure(request)
    try:
        area_files.check_format(fmt)
        release = selectors.resolve_release(wanted)
        file = PublishedFile(
            f"NPDA {release.label} release {release.id} {level} {code}"
            + (f" measure {measure}" if fmt in area_files.BY_MEASURE else "")
            + f".{fmt}",
            area_files.CONTENT_TYPES[fmt],
            area_files.file_key(fmt, level, code, release, measure),
            immutable=wanted != LATEST and fmt not in area_files.SPANS_RELEASES,
        )

        def draw() -> bytes:
            return area_files.render(exports.area_export(release.id, level, code), fmt,
                                     measure)[0]  # fmt: skip

        return published_files.serve(request, file, draw)
    except NotFound as error:
        raise Http404(str(error)) from error
    except ImagesUnavailable as error:
        return HttpResponse(str(error), status=503, content_type="text/plain; charset=utf-8")
