"""What the map explorer shows for one query string and user: read through the selectors
(`aggregation.selectors`, `boundaries.selectors`), built by the pure `map_figures` functions.

The one Dash callback calls `map_view`; the Django page calls `release_choices` for its
controls. Published releases never change, so what is read from one is kept in-process.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlencode

from django.urls import reverse

from aggregation import selectors
from aggregation.areas import Area, within
from aggregation.figures import value_unit
from aggregation.selectors import AreaResult, NotFound, ReleaseSummary
from boundaries import selectors as boundaries
from constants.disclosure import footnote
from constants.kpis import MEASURES_BY_NUMBER, POPULATIONS, definition_for, name_for
from npda.data_model.models import AuditPeriod

from . import map_figures as fig
from .map_state import (
    ENGLAND,
    LATEST,
    LIVE_PREFIX,
    MAP_LEVELS,
    NATIONAL,
    WALES,
    Crumb,
    MapState,
    ReleaseChoice,
    breadcrumb,
    drill_target,
    parse_state,
)

# England and Wales with Jersey, as [[south, west], [north, east]].
ENGLAND_AND_WALES_BOUNDS = [[49.1, -6.5], [55.9, 1.9]]
CONTEXT_AREAS = {"icb": [WALES], "region": [WALES], "lhb": [ENGLAND]}
CHILDREN_MEASURE = "1"  # eligible children: sizes the unit points
COMPARED = ("better", "similar", "worse", "lower", "higher")


# Releases a person may choose ------------------------------------------------------------------


def live_choices() -> list[ReleaseChoice]:
    return [
        ReleaseChoice(f"{LIVE_PREFIX}{y}", f"{fig.year_label(y)} live results, not published")
        for y in selectors.live_years()
    ]


def release_choices(user) -> list[ReleaseChoice]:
    """Final releases for everyone (the latest first); provisional releases for signed-in
    users with a role; live results for the audit team."""
    current = selectors.releases(current_only=True)
    finals = [r for r in current if r.kind == "final"]
    choices = []
    if finals:
        choices.append(ReleaseChoice(LATEST, f"Latest final release ({finals[0].label})"))
        choices += [ReleaseChoice(str(r.id), f"{r.label} release") for r in finals]
    access = selectors.live_access(user)
    if access != "none":
        choices += [
            ReleaseChoice(str(r.id), f"{r.label} (release {r.id})")
            for r in current
            if r.kind != "final"
        ]
    if access == "all":
        choices += live_choices()
    return choices


# The view -----------------------------------------------------------------------------------------


@dataclass
class MapView:
    state: MapState
    problems: list[str]  # parts of the query that could not be used
    notes: list[str]  # what else the person should know about this view
    release: ReleaseSummary | None
    title: str
    release_text: str
    definition: str
    crumbs: list[Crumb]
    area_level: str  # the level of the polygons drawn
    area_hideout: dict
    context_hideout: dict
    unit_hideout: dict
    legend: list[fig.LegendItem]
    legend_title: str
    rows: list[fig.TableRow]
    sort_queries: dict[str, tuple[str, str]]
    csv_url: str
    bounds: list[list[float]]
    layer_urls: dict[str, str] = field(default_factory=dict)
    is_live: bool = False
    results: list[AreaResult] = field(default_factory=list)
    unit: str = ""
    not_shown: str = ""  # how many areas of the table have no value shown, and why


def _audit_year(state, release: ReleaseSummary | None) -> int:
    if release is not None:
        return release.audit_year
    return state.live_year or 0


def map_view(search: str, user) -> MapView:
    choices = release_choices(user)
    state, problems = parse_state(search, choices)
    release = None
    if not state.is_live:
        try:
            release = selectors.resolve_release(state.release) if choices else None
        except NotFound:
            problems.append("That release is no longer available: showing the latest.")
            state, release = replace(state, release=LATEST), selectors.latest_final_release()
    all_areas = _areas(release)
    by_code = {a.code: a for a in all_areas}
    state = _checked_area(state, by_code, problems)
    results, units, children = _results(state, release, user, all_areas)
    measure = MEASURES_BY_NUMBER[state.measure]
    colour, notes = _colouring(state, results)
    noun = "unit" if state.level == "pdu" else "area"
    not_shown = "" if state.is_live else fig.not_shown_text(results, noun)
    collected = not all(r.not_collected for r in results)  # else the note above says so
    if any(fig.not_shown_reason(r) for r in results) and collected and not state.is_live:
        notes.append(f"{not_shown} They are grey on the map and named in the table.")
    area_level = _polygon_level(state, by_code)
    drawn = results if state.level == area_level else []
    polygons = [a for a in all_areas if a.level == area_level]
    area_hideout = fig.area_hideout(
        drawn, colour if drawn else None, measure.name, focus=state.area,
        names={a.code: a.name for a in polygons},
        drill={a.code: _drill_query(state, a) for a in polygons},
    )  # fmt: skip
    layers = boundaries.web_layers()
    return MapView(
        state=state,
        problems=problems,
        notes=notes,
        release=release,
        title=f"{measure.number} {name_for(measure.number, _audit_year(state, release))}: "
        f"{MAP_LEVELS[state.level]}" + (f" in {by_code[state.area].name}" if state.area else ""),
        release_text=_release_text(state, release),
        definition=f"{definition_for(measure.number, _audit_year(state, release))} "
        f"Population: {POPULATIONS[measure.population]}.",
        crumbs=breadcrumb(state, _ancestors(state.area, by_code)),
        area_level=area_level,
        area_hideout=area_hideout,
        context_hideout={"show": CONTEXT_AREAS.get(area_level, [])},
        unit_hideout=fig.unit_hideout(
            units, colour, measure.name, children, 1.0 if state.level == "pdu" else 0.6
        ),
        legend=fig.legend(colour, results),
        legend_title=fig.legend_title(
            measure.name, value_unit(measure.number), measure.polarity.value, colour.mode
        ),
        rows=fig.table_rows(results, state, _page_url(release, state.measure)),
        sort_queries=fig.sort_queries(state),
        csv_url=_csv_url(state, release),
        bounds=_bounds(state, by_code),
        layer_urls={level: layer.url for level, layer in layers.items()},
        is_live=state.is_live,
        results=results,
        unit=value_unit(state.measure),
        not_shown=not_shown,
    )


def _colouring(state: MapState, results: list[AreaResult]) -> tuple[fig.Colouring, list[str]]:
    """The colouring asked for, or by value (with a note saying so) when no area of this
    measure is compared with England and Wales (counts, the median)."""
    mode, notes = state.colour, []
    name = MEASURES_BY_NUMBER[state.measure].name
    if results and all(r.not_collected for r in results):
        notes.append(f"{name}: {results[0].value_note}, so there is nothing to map for this year.")
        return fig.colouring("value", results, value_unit(state.measure)), notes
    if mode == "comparison" and results and not any(r.comparison in COMPARED for r in results):
        mode = "value"
        notes.append(
            f"{name} is not compared with England and Wales here, so the map is coloured by value."
        )
    return fig.colouring(mode, results, value_unit(state.measure)), notes


# Drilling down: an area is shown divided into a level below its own.
LEVEL_RANK = {"pdu": 0, "icb": 1, "lhb": 1, "region": 2, "country": 3}


def _checked_area(state: MapState, by_code: dict[str, Area], problems: list[str]) -> MapState:
    if not state.area:
        return state
    area = by_code.get(state.area)
    if area is None or area.level not in LEVEL_RANK or area.level == "pdu":
        problems.append(f"Unknown area {state.area!r}: showing all of England and Wales.")
        return replace(state, area="")
    if LEVEL_RANK[area.level] <= LEVEL_RANK[state.level]:  # e.g. the ICBs of an ICB
        return drill_target(state, area.level, area.code) or replace(state, area="")
    return state


def _page_url(release: ReleaseSummary | None, measure: str):
    """Links from the table to each area's own page (published releases only)."""
    if release is None:
        return None

    def url(result: AreaResult) -> str:
        if result.level == "pdu":
            path = reverse("unit-page", args=[result.area_code])
        elif result.level in selectors.AREA_PAGE_LEVELS:
            path = reverse("area-page", args=[result.level, result.area_code])
        else:
            return ""
        return f"{path}?{urlencode({'release': release.id, 'measure': measure})}"

    return url


def _drill_query(state: MapState, area: Area) -> str:
    target = drill_target(state, area.level, area.code)
    return target.query() if target else ""


def _polygon_level(state: MapState, by_code: dict[str, Area]) -> str:
    if state.level != "pdu":
        return state.level
    area = by_code.get(state.area)
    return area.level if area is not None and area.level in ("icb", "lhb") else "country"


def _ancestors(code: str, by_code: dict[str, Area]) -> list[tuple[str, str, str]]:
    chain = []
    while code and code != NATIONAL and code in by_code:
        area = by_code[code]
        chain.append((area.level, area.code, area.name))
        code = area.parent_code
    return chain[::-1]


def _results(state, release, user, all_areas):
    """The rows of the chosen level (within the chosen area), the units to draw, and each
    unit's number of children (for the size of its point)."""
    if state.is_live:
        period = AuditPeriod.objects.get(start_date__year=state.live_year)
        rows = selectors.live_area_results(user, period, state.level, state.measure)
        unit_rows = (
            rows if state.level == "pdu"
            else selectors.live_area_results(user, period, "pdu", state.measure)
        )  # fmt: skip
        sizes = selectors.live_area_results(user, period, "pdu", CHILDREN_MEASURE)
    elif release is not None:
        rows = _published(release, state.level, state.measure)
        unit_rows = _published(release, "pdu", state.measure)
        sizes = _published(release, "pdu", CHILDREN_MEASURE)
    else:
        return [], [], {}
    if state.area:
        inside = within(state.area, all_areas)
        rows = [r for r in rows if r.area_code in inside]
        unit_rows = [r for r in unit_rows if r.area_code in inside]
    elif state.level in CONTEXT_AREAS:  # the other nation is a grey backdrop: no points on it
        outside = within(CONTEXT_AREAS[state.level][0], all_areas)
        unit_rows = [r for r in unit_rows if r.area_code not in outside]
    children = {r.area_code: (None if r.suppressed else r.value) for r in sizes}
    return rows, unit_rows, children


def _published(release: ReleaseSummary, level: str, measure: str) -> list[AreaResult]:
    return _published_rows(release.id, release.created_at, level, measure)


@lru_cache(maxsize=1024)
def _published_rows(release_id: int, created: datetime, level: str, measure: str):
    return tuple(selectors.area_results(release_id, level, measure))


def _areas(release: ReleaseSummary | None) -> list[Area]:
    if release is None:
        return selectors.areas(None)
    return _release_areas(release.id, release.created_at)


@lru_cache(maxsize=16)
def _release_areas(release_id: int, created: datetime) -> tuple[Area, ...]:
    return tuple(selectors.areas(None, release_id))


def _release_text(state: MapState, release: ReleaseSummary | None) -> str:
    if state.is_live:
        return (
            f"Live results for {fig.year_label(state.live_year)}: not published and not disclosure "
            "controlled. For the audit team only; do not share."
        )
    if release is None:
        return "No release has been published yet."
    produced = f"{release.created_at:%d %B %Y}"
    return (
        f"{release.label} release (release {release.id}, produced {produced}, calculated as at "
        f"{release.calculation_date:%d %B %Y}). {footnote(release.disclosure_policy)}"
    )


def _csv_url(state: MapState, release: ReleaseSummary | None) -> str:
    if release is None:
        return ""
    query = f"level={state.level}&measure={state.measure}&release={release.id}&format=csv"
    if state.area:
        query += f"&parent={state.area}"
    return f"/api/v1/aggregates?{query}"


def _bounds(state: MapState, by_code: dict[str, Area]) -> list[list[float]]:
    area = by_code.get(state.area)
    if area is not None:
        box = boundaries.area_bounds(area.level).get(area.code)
        if box:
            return box
    return ENGLAND_AND_WALES_BOUNDS
