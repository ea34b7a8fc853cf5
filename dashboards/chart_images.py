"""The chart and map images the dashboards offer for download (ADR 0017): each is the figure the
page shows, from the same view function its Dash callback calls, framed with its title,
period, source and attribution. Published releases only, as for every export.

`map_image`, `funnel_image` and `unit_image` give a `ChartImage`; `rendering.figure_image`
draws its `framed()` figure.
"""

import html
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

from django.utils import timezone

from aggregation import selectors
from aggregation.selectors import NotFound, ReleaseSummary
from boundaries import selectors as boundaries
from constants.disclosure import footnote
from constants.levels import OGL_ATTRIBUTION, RCPCH_ATTRIBUTION

from . import export_figures as ef
from . import map_figures as fig
from . import unit_figures as uf
from .exports import SOURCE
from .funnel_explorer import funnel_view
from .funnel_explorer import parse as parse_funnel
from .map_data import map_view, release_choices
from .map_state import DEFAULT_MEASURE, LATEST, area_map_query, parse_state
from .unit_data import case_mix_view, trend_view, unit_view
from .unit_data import parse as parse_unit

UNIT_CHARTS = ("trend-years", "trend-quarters", "case-mix", "spine")
FUNNEL_CHARTS = ("funnel", "caterpillar")
CONTEXT_FILL = "#ebebeb"  # the other country, as the Leaflet map greys it


@dataclass(frozen=True)
class ChartImage:
    figure: dict  # as the page draws it
    title: str
    period: str
    source: str
    size: tuple[int, int]  # of the plot, without its title and source
    name: str  # the file name without its extension

    def framed(self) -> dict:
        """The figure with its title, period, source and attribution drawn in."""
        width, height = self.size
        return ef.framed(self.figure, title=self.title, period=self.period, source=self.source,
                         width=width, height=height)  # fmt: skip


@dataclass(frozen=True)
class ImageFile:
    """What an image download is, known before anything is drawn: its file name (without the
    extension) and everything its pixels depend on, the release's id and creation time
    included. The same key always draws the same image, so a drawn one can be kept."""

    name: str
    key: tuple
    pinned: bool  # the query names its release (not "latest"): the image can never change


def _release_key(release: ReleaseSummary) -> tuple:
    return (release.id, release.created_at.isoformat())


def map_image_file(search: str, user) -> ImageFile:
    """The map image a query string asks for, as `map_image` draws it; NotFound as it."""
    state, problems = parse_state(search, release_choices(user))
    if problems:
        raise NotFound("query", search, [], " ".join(problems))
    if state.is_live:
        raise _live_has_no_image(state.release)
    release = selectors.resolve_release(state.release)
    canonical = replace(state, release=str(release.id), sort="name").query()
    name = f"NPDA map {state.measure} {state.level} {state.area or 'all'} release {release.id}"
    return ImageFile(name, ("map", canonical, *_release_key(release)), state.release != LATEST)


def funnel_image_file(measure: str, chart: str, search: str) -> ImageFile:
    if chart not in FUNNEL_CHARTS:
        raise NotFound("chart", chart, list(FUNNEL_CHARTS))
    state, problems = parse_funnel(f"/benchmarking/{measure}/", search)
    if state is None:
        raise NotFound("measure", measure, [], problems[0])
    release = selectors.resolve_release(state.release)
    # A unit that is not one draws no highlight: one key for all such queries.
    unit = state.unit if state.unit in {u["pz_code"] for u in boundaries.unit_points()} else ""
    key = ("funnel", chart, measure, unit, state.limits, *_release_key(release))
    name = f"NPDA {chart} {measure} release {release.id}"
    return ImageFile(name, key, state.release != LATEST)


def unit_image_file(user, code: str, chart: str, search: str) -> ImageFile:
    """A unit chart's image. Trends span every release, so their key holds every current
    release (a new release draws them again) and they are never pinned."""
    if chart not in UNIT_CHARTS:
        raise NotFound("chart", chart, list(UNIT_CHARTS))
    selectors.unit_areas(code)  # NotFound for an unknown unit
    state, _ = parse_unit(user, code, search)
    if chart == "spine" and state.live_year is not None:
        raise _live_has_no_image(state.release)
    releases = tuple(_release_key(r) for r in selectors.releases(current_only=True))
    measure = state.measure if chart.startswith("trend") else ""
    key = ("unit", chart, code, state.release, measure, releases)
    pinned = chart in ("spine", "case-mix") and state.release.isdigit()
    return ImageFile(f"NPDA {code} {chart}", key, pinned)


def source_text(release: ReleaseSummary | None, *, is_map: bool, produced: date | None = None):
    """Who made the figures, from which release, under which disclosure control, and when."""
    produced = produced or timezone.localdate()
    parts = [f"Source: {SOURCE}."]
    if release is not None:
        parts.append(
            f"{release.label} release (release {release.id}, published "
            f"{release.created_at:%-d %B %Y}). {footnote(release.disclosure_policy)}"
        )
    else:
        parts.append(footnote("of each release"))
    if is_map:
        parts.append(OGL_ATTRIBUTION)
    parts += [RCPCH_ATTRIBUTION, f"Produced {produced:%-d %B %Y}."]
    return " ".join(parts)


def _live_has_no_image(release: str) -> NotFound:
    return NotFound("release", release, [], "Live results have no image: they are not "
                    "published. Choose a published release.")  # fmt: skip


def _period(release: ReleaseSummary) -> str:
    return (
        f"{release.label} release, calculated as at {release.calculation_date:%-d %B %Y}, "
        "published and disclosure controlled"
    )


def _fill(fills: dict[str, str], code: str, focus: str) -> str:
    """The style function's fill; the chosen area, when a plain base under its units, white
    so it stands out from its neighbours."""
    fill = fills.get(code, fig.OUTSIDE_COLOUR)
    return "white" if code == focus and fill == fig.OUTSIDE_COLOUR else fill


def map_image(search: str, user) -> ChartImage:
    """The map explorer's map for a query string; live results are not published and have no
    image, as they have no CSV."""
    view = map_view(search, user)
    if view.problems:  # the page falls back with a message; a file must not silently differ
        raise NotFound("query", search, [], " ".join(view.problems))
    if view.is_live or view.release is None:
        raise _live_has_no_image(view.state.release)
    fills, focus = view.area_hideout["fill"], view.area_hideout.get("focus", "")
    areas = [
        ef.MapArea(geometry, _fill(fills, code, focus), outlined=code == focus)
        for code, geometry in boundaries.area_geometry(view.area_level).items()
    ]
    countries = boundaries.area_geometry("country")
    context = [ef.MapArea(countries[c], CONTEXT_FILL) for c in view.context_hideout["show"]
               if c in countries]  # fmt: skip
    unit_fill, radius = view.unit_hideout["fill"], view.unit_hideout["radius"]
    dots = [
        ef.MapDot(u["longitude"], u["latitude"], unit_fill[u["pz_code"]], radius[u["pz_code"]])
        for u in boundaries.unit_points() if u["pz_code"] in unit_fill
    ]  # fmt: skip
    figure = ef.map_figure(areas, dots, view.legend, legend_title=view.legend_title,
                           bounds=view.bounds, context=context)  # fmt: skip
    state = view.state
    name = f"NPDA map {state.measure} {state.level} {state.area or 'all'} release {view.release.id}"
    return ChartImage(figure, view.title, _period(view.release),
                      source_text(view.release, is_map=True), ef.MAP_SIZE, name)  # fmt: skip


def area_map_image(level: str, code: str, release: str, measure: str, user) -> ChartImage:
    """The map of an area's page: the map explorer's view of the area (`area_map_query`)."""
    if level not in selectors.AREA_PAGE_LEVELS:
        raise NotFound("level", level, list(selectors.AREA_PAGE_LEVELS))
    query = area_map_query(level, code, measure or DEFAULT_MEASURE)
    return map_image("?" + urlencode({**query, "release": release or LATEST}), user)


def funnel_image(measure: str, chart: str, search: str) -> ChartImage:
    if chart not in FUNNEL_CHARTS:
        raise NotFound("chart", chart, list(FUNNEL_CHARTS))
    view = funnel_view(f"/benchmarking/{measure}/", search)
    figure = view.funnel if chart == "funnel" else view.caterpillar
    title = f"{figure['layout']['title']['text']} ({view.title.split(': ', 1)[-1]})"
    return ChartImage(figure, html.unescape(title), f"{view.method} {view.not_shown}".strip(),
                      source_text(view.release, is_map=False), ef.CHART_SIZE,
                      f"NPDA {chart} {measure} release {view.release.id}")  # fmt: skip


def unit_image(user, code: str, chart: str, search: str) -> ChartImage:
    if chart not in UNIT_CHARTS:
        raise NotFound("chart", chart, list(UNIT_CHARTS))
    pathname = f"/units/{code}/"
    if chart == "spine":
        return _spine_image(user, code, search)
    if chart == "case-mix":
        view, index = case_mix_view(user, pathname, search), 0
    else:
        view, index = trend_view(user, pathname, search), UNIT_CHARTS.index(chart)
    figure = view.figures[index]
    width = ef.CHART_SIZE[0]
    height = max(ef.CHART_SIZE[1] - 100, figure["layout"].get("height", 0))
    return ChartImage(figure, html.unescape(figure["layout"]["title"]["text"]),
                      view.periods[index], source_text(None, is_map=False), (width, height),
                      f"NPDA {code} {chart}")  # fmt: skip


def _spine_image(user, code: str, search: str) -> ChartImage:
    """The unit page's spine charts, every measure that has one, in one figure."""
    view = unit_view(user, code, search)
    if view.release is None:
        raise _live_has_no_image(view.state.release)
    rows = [(f"{r.number} {r.name}", r.spine, f"{r.value} ({r.comparison})")
            for _, group in view.groups for r in group if r.spine is not None]  # fmt: skip
    figure = uf.spine_figure(rows, name=view.unit.name)
    period = (f"{view.release_text} Bars: the units' lowest to highest value, darker the middle "
              "half; the line is England and Wales; better is to the right (higher to the "
              "right where a measure has no better direction).")  # fmt: skip
    return ChartImage(figure, html.unescape(figure["layout"]["title"]["text"]), period,
                      source_text(view.release, is_map=False),
                      (ef.CHART_SIZE[0], figure["layout"]["height"]),
                      f"NPDA {code} spine release {view.release.id}")  # fmt: skip
