"""What a unit's page (`/units/<PZ code>/`) shows for one query string and user: read through
the selectors, built by the pure `unit_figures` functions.

The Django page calls `unit_view` (spine charts and comparators); the embedded Dash app's
callbacks call `trend_view`, `peers_view` and `case_mix_view`. Each checks the release against
the same rule: final and provisional releases as the map explorer offers them, live results
for the audit team and for the unit's own staff.
"""

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from django.core.exceptions import PermissionDenied
from django.urls import reverse

from aggregation import selectors
from aggregation.areas import Area
from aggregation.figures import value_unit
from aggregation.rollup import NATIONAL_CODE
from aggregation.selectors import AreaResult, NotFound, ReleaseSummary
from constants.disclosure import SUPPRESSED, footnote
from constants.kpis import (
    DATASET_CHANGES,
    MEASURES,
    MEASURES_BY_NUMBER,
    POPULATIONS,
    MeasureKind,
    definition_for,
    name_for,
)
from constants.numbers import year_number
from npda.data_model.scope import units_for_user

from . import map_figures as fig
from . import unit_figures as uf
from .map_data import live_choices, release_choices
from .map_state import DEFAULT_MEASURE, LATEST, LIVE_PREFIX, ReleaseChoice

COMPARATOR_ORDER = ("trust", "lhb", "icb", "region", "country", "network")
COMPARATOR_LABELS = {"lhb": "Health board", "trust": "Trust", "icb": "ICB", "region": "Region",
                     "country": "Country", "network": "Network"}  # fmt: skip
SPINE_KINDS = {MeasureKind.PROPORTION, MeasureKind.CHECK_PROPORTION, MeasureKind.MEAN,
               MeasureKind.MEDIAN, MeasureKind.EVENT_COUNT}  # fmt: skip


@dataclass(frozen=True)
class UnitState:
    code: str
    release: str = LATEST  # latest | a release id | live-<year>
    measure: str = DEFAULT_MEASURE  # the trend's and peers' measure

    @property
    def live_year(self) -> int | None:
        text = self.release.removeprefix(LIVE_PREFIX)
        return year_number(text) if self.release.startswith(LIVE_PREFIX) else None

    def query(self, **changes) -> str:
        values = {"release": self.release, "measure": self.measure} | changes
        defaults = {"release": LATEST, "measure": DEFAULT_MEASURE}
        return urlencode({k: v for k, v in values.items() if v != defaults[k]})


def unit_code(pathname: str) -> str:
    return pathname.rstrip("/").rsplit("/", 1)[-1].upper()


def release_options(user, code: str) -> list[ReleaseChoice]:
    """The map explorer's choices, and the unit's own live results for its staff."""
    choices = release_choices(user)
    if selectors.live_access(user) == "units" and units_for_user(user).filter(pz_code=code):
        choices += live_choices()
    return choices


def parse(user, code: str, search: str) -> tuple[UnitState, list[str]]:
    """The state a query string asks for; parts that cannot be used fall back, with a message."""
    params = {k: v[-1].strip() for k, v in parse_qs(search.lstrip("?")).items()}
    problems = []
    release = params.get("release", LATEST).lower() or LATEST
    offered = [c.value for c in release_options(user, code)]
    if not offered:
        raise NotFound("release", release, [], "There are no published results yet.")
    if release not in offered:
        fallback = LATEST if LATEST in offered else offered[0]
        problems.append(f"Release {release!r} is not available to you: showing {fallback}.")
        release = fallback
    measure = params.get("measure", DEFAULT_MEASURE)
    if measure not in MEASURES_BY_NUMBER:
        problems.append(f"There is no measure {measure!r}: showing {DEFAULT_MEASURE}.")
        measure = DEFAULT_MEASURE
    return UnitState(code, release, measure), problems


# The page ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparator:
    level: str
    label: str
    name: str
    url: str
    value: str
    interval: str
    comparison: str


@dataclass(frozen=True)
class SpineRow:
    number: str
    name: str
    definition: str
    population: str
    value: str
    counts: str
    interval: str
    comparison: str
    comparison_key: str
    incomplete: int | None
    national: str
    spine_svg: str
    spread: str
    comparators: list[Comparator]
    spine: uf.Spine | None = None  # the shape the SVG draws, for the chart's image


@dataclass
class UnitView:
    state: UnitState
    problems: list[str]
    unit: Area
    release: ReleaseSummary | None  # None: live results
    release_text: str
    footnote: str
    links: list[tuple[str, str, str]]  # (level label, area name, url)
    groups: list[tuple[str, list[SpineRow]]]
    choices: list[ReleaseChoice]
    national_shown: bool  # live England and Wales values are the audit team's only


def _area_url(area: Area, release: ReleaseSummary | None, measure: str = "") -> str:
    if area.level not in selectors.AREA_PAGE_LEVELS:
        return ""
    query = ({"measure": measure} if measure else {}) | ({"release": release.id} if release else {})
    return reverse("area-page", args=[area.level, area.code]) + "?" + urlencode(query)


def unit_url(code: str, query: str = "") -> str:
    return reverse("unit-page", args=[code]) + (f"?{query}" if query else "")


def _interval(r: AreaResult | None) -> str:
    if r is None:
        return ""
    return SUPPRESSED if r.suppressed else fig.format_interval(r.ci95)


def _comparison(r: AreaResult | None) -> str:
    """Under the heading "Compared with England and Wales": "Better", "Similar" ..."""
    if r is None:
        return "No result"
    if r.level == "national":
        return ""
    return fig.comparison_short(r)


def unit_view(user, code: str, search: str) -> UnitView:
    """Everything the unit's page draws on the server. Raises NotFound for an unknown unit."""
    own = selectors.unit_areas(code)  # NotFound for an unknown unit
    state, problems = parse(user, code, search)
    choices = release_options(user, code)
    if state.live_year is not None:
        view = _live_view(user, state, own)
    else:
        view = _published_view(state, own)
    view.problems, view.choices = problems + view.problems, choices
    return view


def _published_view(state: UnitState, own: dict[str, Area]) -> UnitView:
    release = selectors.resolve_release(state.release)
    profile = selectors.unit_profile(state.code, release.id)
    rows = []
    for row in profile.rows:
        measure = MEASURES_BY_NUMBER[row.measure]
        national = row.comparators.get("national")
        unit = row.unit
        shape = None
        if measure.kind in SPINE_KINDS:
            shape = uf.spine(unit, national.value if national else None, row.spread,
                             measure.polarity.value)  # fmt: skip
        spread_text = uf.spread_words(row.spread, value_unit(row.measure)) if shape else ""
        rows.append(
            _spine_row(
                row.measure, unit, national, incomplete=None, audit_year=release.audit_year,
                svg=uf.spine_svg(shape, f"{measure.name}: {spread_text}") if shape else "",
                spread=spread_text, shape=shape,
                comparators=_comparators(row.comparators, profile.areas, release, row.measure),
            )
        )  # fmt: skip
    return UnitView(
        state=state, problems=[], choices=[], unit=profile.unit, release=release,
        release_text=f"{release.label} release (release {release.id}, calculated as at "
        f"{release.calculation_date:%-d %B %Y}): published, disclosure-controlled results.",
        footnote=footnote(release.disclosure_policy),
        links=_links(own, release), groups=_grouped(rows), national_shown=True,
    )  # fmt: skip


def _live_view(user, state: UnitState, own: dict[str, Area]) -> UnitView:
    period = selectors.audit_period_for_year(state.live_year)
    try:
        results = selectors.live_unit_results(user, period, state.code)
    except PermissionDenied as error:  # parse() already checked; a role changed meanwhile
        raise NotFound("release", state.release, [], str(error)) from error
    # The live England and Wales values are the audit team's; unit staff see the comparison.
    national = {}
    if selectors.live_access(user) == "all":
        national = selectors.live_national_results(user, period)
    rows = [
        _spine_row(m.number, results.get(m.number), national.get(m.number),
                   incomplete=getattr(results.get(m.number), "incomplete", None),
                   audit_year=state.live_year)
        for m in MEASURES
    ]  # fmt: skip
    return UnitView(
        state=state, problems=[], choices=[], unit=own["pdu"], release=None,
        release_text=f"{fig.year_label(state.live_year)} live results: not published and not "
        "disclosure-controlled; for the unit's own staff and the audit team. Compared with "
        "the live England and Wales value.",
        footnote="Live results change with every upload and nightly run.",
        links=_links(own, None), groups=_grouped(rows), national_shown=bool(national),
    )  # fmt: skip


def _value_text(result: AreaResult | None) -> str:
    if result is None:
        return ""
    if result.not_collected:
        return "Not collected"
    return fig.format_value(result.value, result.unit, suppressed=result.suppressed)


def _spine_row(
    number, unit, national, *, incomplete, audit_year, svg="", spread="", shape=None,
    comparators=(),
):  # fmt: skip
    measure = MEASURES_BY_NUMBER[number]
    return SpineRow(
        number=number,
        name=name_for(number, audit_year),
        definition=definition_for(number, audit_year),
        population=POPULATIONS.get(measure.population, measure.population),
        value=_value_text(unit),
        counts=fig.counts_text(unit),
        interval=_interval(unit),
        comparison=_comparison(unit),
        comparison_key=("withheld" if unit.suppressed else unit.comparison) if unit else "",
        incomplete=incomplete,
        national=""
        if national is None
        else fig.format_value(national.value, national.unit, suppressed=national.suppressed),
        spine_svg=svg,
        spread=spread,
        comparators=list(comparators),
        spine=shape,
    )


def _comparators(by_level: dict[str, AreaResult], areas: dict[str, Area], release, measure):
    found = []
    for level in COMPARATOR_ORDER:
        r, area = by_level.get(level), areas.get(level)
        if area is None:
            continue
        found.append(
            Comparator(
                level, COMPARATOR_LABELS[level], fig.plain_name(area.name),
                _area_url(area, release, measure),
                "" if r is None else fig.format_value(r.value, r.unit, suppressed=r.suppressed),
                _interval(r),
                _comparison(r),
            )
        )  # fmt: skip
    return found


def _links(own: dict[str, Area], release) -> list[tuple[str, str, str]]:
    """The unit's areas, each linking to its page in the same release (the page's measure
    changes without a reload, so the links carry none)."""
    return [
        (COMPARATOR_LABELS[level], fig.plain_name(own[level].name), _area_url(own[level], release))
        for level in COMPARATOR_ORDER
        if level in own
    ]


def _grouped(rows: list[SpineRow]) -> list[tuple[str, list[SpineRow]]]:
    groups: dict[str, list[SpineRow]] = {}
    for row in rows:
        groups.setdefault(MEASURES_BY_NUMBER[row.number].group.value, []).append(row)
    return list(groups.items())


# The Dash app's callbacks ------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartView:
    problems: list[str]
    title: str
    figures: list  # plotly figures
    tables: list[str]  # their text alternatives (HTML)
    periods: list[str] = field(default_factory=list)  # what each figure covers, for its image


def _state(user, pathname: str, search: str) -> tuple[UnitState, list[str], dict[str, Area]]:
    code = unit_code(str(pathname or ""))  # the client sends these: anything may come
    own = selectors.unit_areas(code)  # NotFound for an unknown unit
    state, problems = parse(user, code, str(search or ""))
    return state, problems, own


def trend_view(user, pathname: str, search: str) -> ChartView:
    """The measure by audit year (final releases) and by quarter of the page's year
    (provisional releases), for the unit beside England and Wales, with 95% CIs."""
    state, problems, own = _state(user, pathname, search)
    measure = MEASURES_BY_NUMBER[state.measure]
    unit, name = value_unit(measure.number), own["pdu"].name
    area = selectors.trend("pdu", state.code, measure.number)
    national = selectors.trend("national", NATIONAL_CODE, measure.number)
    year = state.live_year
    if year is None and state.release != LATEST:
        year = selectors.resolve_release(state.release).audit_year
    quarter_years = sorted({p.release.audit_year for p in area.quarters})
    year = year if year in quarter_years else (quarter_years[-1] if quarter_years else None)
    years = uf.trend_rows(area.years, national.years)
    quarters = uf.trend_rows([p for p in area.quarters if p.release.audit_year == year],
                             national.quarters)  # fmt: skip
    change = DATASET_CHANGES.get(measure.number)
    renamed = f" ({change.name} from 2026–27)" if change and change.name else ""
    title = f"{measure.number} {measure.name}{renamed}: trend"
    by_year = f"{measure.name} by audit year (final releases)"
    by_quarter = (
        f"{name_for(measure.number, year)} by quarter of {fig.year_label(year)} (provisional, "
        "year to date)"
        if year else f"{measure.name} by quarter: no provisional releases"
    )  # fmt: skip
    return ChartView(
        problems, title,
        [uf.trend_figure(years, title=by_year, unit=unit, name=name, measure=measure.number),
         uf.trend_figure(quarters, title=by_quarter, unit=unit, name=name)],
        [uf.trend_table_html(years, caption=by_year, unit=unit, table_id="trend-years-table",
                             measure=measure.number),
         uf.trend_table_html(quarters, caption=by_quarter, unit=unit,
                             table_id="trend-quarters-table")],
        [f"{name} beside England and Wales, {uf.period_text(years)}",
         f"{name} beside England and Wales, {uf.period_text(quarters)}"],
    )  # fmt: skip


def case_mix_view(user, pathname: str, search: str) -> ChartView:
    """Who the unit cares for, beside England and Wales, from the page's release (the latest
    final one when the page shows live results, which have no breakdowns)."""
    state, problems, own = _state(user, pathname, search)
    release = selectors.resolve_release(LATEST if state.live_year else state.release)
    area = selectors.case_mix(release.id, "pdu", state.code)
    national = selectors.case_mix(release.id, "national", NATIONAL_CODE)
    rows = uf.case_mix_rows(area, national)
    name = own["pdu"].name
    title = f"Children cared for, {release.label} release"
    return ChartView(
        problems, f"Case mix: {title.lower()}",
        [uf.case_mix_figure(rows, name=name, title=title)],
        [uf.case_mix_table_html(rows, name=name, caption=f"{title}: {name} and England and "
                                "Wales (* withheld: a small count)")],
        [f"{name} beside England and Wales, {release.label} release"],
    )  # fmt: skip


def peers_view(user, pathname: str, search: str) -> ChartView:
    """The unit and its most similar units by case mix (ADR 0013), with their values on the
    page's measure, from the page's release (the latest final one beside live results)."""
    state, problems, own = _state(user, pathname, search)
    release = selectors.resolve_release(LATEST if state.live_year else state.release)
    group = selectors.unit_peers(release.id, state.code)
    measure = MEASURES_BY_NUMBER[state.measure]
    results = {r.area_code: r for r in selectors.area_results(release.id, "pdu", measure.number)}
    query = state.query(release=LATEST if state.live_year else state.release)  # peers: no live
    rows = [uf.peer_row(group.unit, None, group.features, results.get(group.unit.code),
                        unit_url(group.unit.code, query), own=True)] + [
        uf.peer_row(p.area, p.distance, p.features, results.get(p.area.code),
                    unit_url(p.area.code, query))
        for p in group.peers
    ]  # fmt: skip
    title = f"Units like {own['pdu'].name}"
    caption = (
        f"{len(group.peers)} most similar units by case mix, nearest first, with "
        f"{measure.number} {name_for(measure.number, release.audit_year)} ({release.label} release)"
    )
    return ChartView(problems, title, [], [uf.peer_table_html(rows, caption=caption)])


__all__ = ["NotFound", "case_mix_view", "parse", "peers_view", "trend_view", "unit_view"]
