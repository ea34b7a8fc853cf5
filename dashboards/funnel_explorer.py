"""Funnel and caterpillar plots of every unit for one measure of a final release
(`/benchmarking/<measure>/`), embedded in the Django page by `{% plotly_direct %}`.

As on the map: the path and query string are the state (`?release=latest&unit=PZ041
&limits=adjusted`), the page's form changes them (static/dashboards/state.js) and one callback
draws everything from the read API's `funnel`.
"""

from dataclasses import dataclass
from urllib.parse import parse_qs

from dash import Input, dcc, html
from django.urls import reverse
from django_plotly_dash import DjangoDash

from aggregation import selectors
from aggregation.measures import RULES
from aggregation.selectors import NotFound, ReleaseSummary
from constants.kpis import MEASURES_BY_NUMBER

from . import funnel_figures as ff
from . import map_figures as fig
from .callback_requests import FUNNEL_OUTPUTS, dash_outputs
from .downloads import image_links
from .first_view import with_outputs

app = DjangoDash("funnel_explorer", serve_locally=True)
LIMITS = {"adjusted": "As the outlier policy says (overdispersion allowed for)", "plain": "Plain"}
# No toolbar: it covered the charts' titles, and the page links both charts' PNG and SVG.
GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}
GRAPH_STYLE = {"height": "520px"}


def _graph(graph_id: str) -> dcc.Graph:
    return dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style=GRAPH_STYLE)


@dataclass(frozen=True)
class FunnelState:
    measure: str
    release: str = "latest"
    unit: str = ""
    limits: str = "adjusted"


def final_releases() -> list[ReleaseSummary]:
    return [r for r in selectors.releases(current_only=True) if r.kind == "final"]


def parse(pathname: str, search: str) -> tuple[FunnelState | None, list[str]]:
    """The state a path and query string ask for; bad parts fall back with a message."""
    number = pathname.rstrip("/").rsplit("/", 1)[-1]
    if number not in {m.number for m in selectors.funnel_measures()}:
        return None, [f"There is no funnel plot for the measure {number!r}."]
    params = {k: v[-1].strip() for k, v in parse_qs(search.lstrip("?")).items()}
    problems = []
    release = params.get("release", "latest").lower()
    if release not in ("latest", *(str(r.id) for r in final_releases())):
        problems.append(f"Release {release!r} has no funnel plots: showing the latest final.")
        release = "latest"
    unit = params.get("unit", "").upper()
    limits = params.get("limits", "adjusted")
    if limits not in LIMITS:
        problems.append(f"Unknown limits {limits!r}: showing the policy's limits.")
        limits = "adjusted"
    return FunnelState(number, release, unit, limits), problems


def _points(data) -> list[ff.FunnelPoint]:
    return [
        ff.FunnelPoint(
            p.area_code, p.area_name, int(p.funnel_n), p.value, p.ci95,
            *data.classes.get(p.area_code, ("", "")), count_hidden=p.numerator_suppressed,
        )
        for p in data.points
    ]  # fmt: skip


def _method_text(data) -> str:
    parameters = data.parameters
    if not parameters:
        return "This release has no funnel for this measure."
    method = parameters.get("method", "")
    allowance = (
        "limits widened for overdispersion" if data.adjusted and parameters.get("overdispersed")
        else "no overdispersion allowance"
    )  # fmt: skip
    formal = (
        "a formal outlier measure"
        if parameters.get("policy", {}).get("formal")
        else ("shown for information (not a formal outlier measure)")
    )
    return (
        f"Limits: {method}, {allowance}; centre line England and Wales "
        f"{ff.format_number(data.target, data.unit)} {data.unit}; {formal}. Outlier policy "
        f"{data.release.outlier_policy_version}, {parameters.get('method_version', '')}."
    )


def _unit_link(points, state: FunnelState, release_id: int) -> list:
    chosen = next((p for p in points if p.code == state.unit), None)
    if chosen is None:
        return []
    query = f"?release={release_id}&measure={state.measure}"
    url = reverse("unit-page", args=[chosen.code]) + query
    return [" ", html.A(f"Every measure for {chosen.name}", href=url, id="funnel-unit-link"), "."]


def layout() -> html.Div:
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            html.Div(id="funnel-problems", role="status", className="map-problems"),
            html.H2(id="funnel-title", className="map-title"),
            html.P(id="funnel-method", className="map-release"),
            html.P(id="funnel-not-shown", className="map-release"),
            html.Div(
                [
                    html.Figure(
                        [
                            _graph("funnel-plot"),
                            html.Figcaption(
                                "Funnel plot: the tables below list the units shown and any "
                                "not shown, with the reason."
                            ),
                        ],
                    ),
                    html.Figure(
                        [
                            dcc.Graph(
                                id="caterpillar-plot", config=GRAPH_CONFIG, style=GRAPH_STYLE
                            ),
                            html.Figcaption(
                                "Caterpillar plot: units ranked with 95% intervals, rank 1 the "
                                "best."
                            ),
                        ],
                    ),
                ],
                className="funnel-plots",
            ),
            html.Div(id="funnel-table"),
            html.P(id="funnel-download"),
        ],
        className="funnel-explorer",
    )


app.layout = layout


@dataclass(frozen=True)
class FunnelView:
    """What a funnel page's state draws: the plots, their table and the release they are from."""

    state: FunnelState
    problems: list[str]
    title: str
    release: ReleaseSummary
    method: str
    funnel: dict
    caterpillar: dict
    table: str
    csv_url: str
    unit_link: list
    not_shown: str  # how many of the release's units are not on the plots, and why


def funnel_view(pathname: str, search: str) -> FunnelView:
    """NotFound (with a message) for an unknown measure or a release without funnels."""
    state, problems = parse(pathname or "", search or "")
    if state is None:
        raise NotFound("measure", pathname, [], problems[0])
    data = selectors.funnel(state.release, state.measure, adjusted=state.limits == "adjusted")
    measure = MEASURES_BY_NUMBER[state.measure]
    points = _points(data)
    missing = {r.area_code: r for r in data.not_shown}
    if state.unit in missing:
        chosen = missing[state.unit]
        problems.append(
            f"{chosen.area_name} ({chosen.area_code}) is not on these plots: "
            f"{fig.not_shown_sentence(chosen)}."
        )
    elif state.unit and state.unit not in {p.code for p in points}:
        problems.append(f"Unit {state.unit!r} has no data in this release.")
    every = len(points) + len(data.not_shown)
    title = (
        f"{measure.number} {measure.name}: {len(points)} of {every} units, "
        f"{data.release.label} release"
    )
    funnel = ff.funnel_figure(
        points, data.curves, data.target, unit=data.unit, kind=RULES[state.measure].value_kind,
        title=f"Funnel plot: {measure.name}", highlight=state.unit,
    )  # fmt: skip
    caterpillar = ff.caterpillar_figure(
        points, data.target, unit=data.unit, title=f"Units ranked: {measure.name}",
        polarity=measure.polarity.value, highlight=state.unit,
    )  # fmt: skip

    def page_url(code: str) -> str:
        query = f"?release={data.release.id}&measure={state.measure}"
        return reverse("unit-page", args=[code]) + query

    not_shown = [
        ff.NotShown(r.area_code, r.area_name, fig.not_shown_reason(r)) for r in data.not_shown
    ]
    table = ff.units_table_html(
        points, data.unit, f"{title}, largest first", state.unit, page_url
    ) + ff.not_shown_table_html(not_shown, page_url)
    csv = (
        f"/api/v1/aggregates?level=pdu&measure={state.measure}&release={data.release.id}"
        + ("&breakdown=diabetes_type" if state.measure == "44" else "")
        + "&format=csv"
    )
    return FunnelView(
        state, problems, title, data.release, _method_text(data), funnel, caterpillar, table,
        csv, _unit_link(points, state, data.release.id),
        _not_shown_text(data.not_shown, len(points)),
    )  # fmt: skip


def _not_shown_text(not_shown: list, shown: int) -> str:
    """How many of the release's units are not on the plots and why, e.g. "165 units shown.
    7 units not shown: fewer than 8 children (listed below the table)."."""
    if not not_shown:
        return f"All {shown} units of the release are shown." if shown else ""
    summary = fig.not_shown_text(not_shown, "unit").removesuffix(".")
    return f"{shown} units shown. {summary} (listed below the table)."


FUNNEL_CHARTS = (("funnel", "funnel plot"), ("caterpillar", "caterpillar plot"))


def funnel_outputs(pathname, search) -> tuple:
    """What the callback answers for a path and query string (and the page's first view)."""
    empty = {"data": [], "layout": {}}
    try:
        view = funnel_view(pathname or "", search or "")
    except NotFound as error:
        return [html.P(str(error), className="problem")], "", "", empty, empty, "", "", ""
    return (
        [html.P(p, className="problem") for p in view.problems],
        view.title,
        view.method,
        view.funnel,
        view.caterpillar,
        dcc.Markdown(view.table, dangerously_allow_html=True),
        [html.A("Download the units' figures (CSV)", href=view.csv_url, download=""),
         " from the open data API (funnel limits, z-scores and classes included).",
         *image_links(pathname, search, FUNNEL_CHARTS, " Images of the plots:"), ".",
         *view.unit_link],
        view.not_shown,
    )  # fmt: skip


# The page draws the first view (`first_view`): the callback answers only a change of state.
@app.expanded_callback(
    dash_outputs(FUNNEL_OUTPUTS), [Input("url", "pathname"), Input("url", "search")],
    prevent_initial_call=True,
)  # fmt: skip
def render(pathname, search, **kwargs):
    return funnel_outputs(pathname, search)


def first_view(user, pathname: str, search: str) -> html.Div:
    """The layout as the page's path and query string first show it (ADR 0026)."""
    tree = layout()  # its Location left empty: started later, the app reads the address then
    return with_outputs(tree, FUNNEL_OUTPUTS, funnel_outputs(pathname, search))
