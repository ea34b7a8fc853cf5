"""A unit's trend and case-mix charts (`/units/<PZ code>/`), embedded in the Django page by
`{% plotly_direct %}`, with its peer units; the page itself draws the spine charts on the
server.

The path and query string are the state (`?measure=44&release=15`): the page's form changes
them (static/dashboards/state.js) and each callback reads them through `unit_data`, which
checks the release against the user's role as the page does.
"""

from dash import Input, dcc, html
from django_plotly_dash import DjangoDash

from aggregation.selectors import NotFound

from . import unit_data
from .callback_requests import CASE_MIX_OUTPUTS, PEER_OUTPUTS, TREND_OUTPUTS, dash_outputs
from .downloads import image_links

app = DjangoDash("unit_profile", serve_locally=True)
GRAPH_CONFIG = {"displaylogo": False, "responsive": True}
EMPTY = {"data": [], "layout": {}}
LOCATION = [Input("url", "pathname"), Input("url", "search")]


TREND_STYLE = {"height": "340px"}
PEER_METHOD = (
    "How peers are found: each unit's children (log scale), its shares of children under 12 and "
    "16 and over, with type 1 diabetes, in the most deprived fifth and the least deprived two "
    "fifths, and newly diagnosed, from the published case mix; each is standardised across the "
    "units, the five aspects (size, age, type 1, deprivation, new diagnoses) weigh the same, and "
    "the peers are the ten nearest units by weighted distance (0 = identical). A withheld share "
    "counts as the units' average. Peers are for context: they are not adjusted comparisons."
)


def _figure(graph_id: str, caption: str, style: dict | None = None) -> html.Figure:
    graph = dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style=style or {})
    return html.Figure([graph, html.Figcaption(caption)])


def layout() -> html.Div:
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            html.Section(
                [
                    html.H2(id="trend-title"),
                    html.Div(id="trend-problems", role="status", className="map-problems"),
                    html.Div(
                        [
                            _figure(
                                "trend-years",
                                "By audit year: the tables below list it.",
                                TREND_STYLE,
                            ),
                            _figure(
                                "trend-quarters",
                                "By quarter: the tables below list it.",
                                TREND_STYLE,
                            ),
                        ],
                        className="unit-trends",
                    ),
                    html.Details(
                        [html.Summary("The trend as tables"), html.Div(id="trend-tables")],
                        open=True,
                    ),
                ],
                **{"aria-labelledby": "trend-title"},
            ),
            html.Section(
                [
                    html.H2(id="peers-title"),
                    html.P(PEER_METHOD, className="peer-method"),
                    html.Div(id="peers-table-holder"),
                ],
                className="unit-peers",
                **{"aria-labelledby": "peers-title"},
            ),
            html.Section(
                [
                    html.H2(id="case-mix-title"),
                    _figure("case-mix", "Case mix: the table below lists the same."),
                    html.Div(id="case-mix-table-holder"),
                ],
                className="unit-case-mix",
                **{"aria-labelledby": "case-mix-title"},
            ),
        ],
        className="unit-profile",
    )


app.layout = layout


def _markdown(tables: list[str]):
    return [dcc.Markdown(t, dangerously_allow_html=True) for t in tables]


def _problems(problems: list[str]):
    return [html.P(p, className="problem") for p in problems]


TREND_CHARTS = (("trend-years", "by audit year"), ("trend-quarters", "by quarter"))
CASE_MIX_CHARTS = (("case-mix", "case mix"),)


@app.expanded_callback(dash_outputs(TREND_OUTPUTS), LOCATION)
def render_trend(pathname, search, **kwargs):
    try:
        view = unit_data.trend_view(kwargs.get("user"), pathname, search)
    except NotFound as error:
        return "Trend", _problems([str(error)]), EMPTY, EMPTY, ""
    years, quarters = view.figures
    links = image_links(pathname, search, TREND_CHARTS, "Download the trend as an image:")
    tables = [html.P(links, className="image-downloads"), *_markdown(view.tables)]
    return view.title, _problems(view.problems), years, quarters, tables


@app.expanded_callback(dash_outputs(PEER_OUTPUTS), LOCATION)
def render_peers(pathname, search, **kwargs):
    try:
        view = unit_data.peers_view(kwargs.get("user"), pathname, search)
    except NotFound as error:
        return "Units like this one", _problems([str(error)])
    return view.title, _markdown(view.tables)


@app.expanded_callback(dash_outputs(CASE_MIX_OUTPUTS), LOCATION)
def render_case_mix(pathname, search, **kwargs):
    try:
        view = unit_data.case_mix_view(kwargs.get("user"), pathname, search)
    except NotFound as error:
        return "Case mix", EMPTY, {}, _problems([str(error)])
    figure = view.figures[0]
    links = image_links(pathname, search, CASE_MIX_CHARTS, "Download the chart as an image:")
    tables = [html.P(links, className="image-downloads"), *_markdown(view.tables)]
    return view.title, figure, {"height": f"{figure['layout']['height']}px"}, tables
