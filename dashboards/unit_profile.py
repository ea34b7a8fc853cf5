"""A unit's trend and case-mix charts (`/units/<PZ code>/`), embedded in the Django page by
`{% plotly_direct %}`, with its peer units; the page itself draws the spine charts on the
server.

The path and query string are the state (`?measure=44&release=15`): the page's form changes
them (static/dashboards/state.js) and each callback reads them through `unit_data`, which
checks the release against the user's role as the page does.

The first view comes with the page (`first_view`, ADR 0026): the same output functions the
callbacks call, applied to the layout, so no callback runs when the page opens.
"""

from dash import Input, dcc, html
from django_plotly_dash import DjangoDash

from aggregation.selectors import NotFound

from . import unit_data
from .callback_requests import CASE_MIX_OUTPUTS, PEER_OUTPUTS, TREND_OUTPUTS, dash_outputs
from .downloads import image_links
from .first_view import with_outputs

app = DjangoDash("unit_profile", serve_locally=True)
# No toolbar: it covered the charts' titles, and the page links every chart's PNG and SVG.
GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}
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


def trend_outputs(user, pathname, search) -> tuple:
    try:
        view = unit_data.trend_view(user, pathname, search)
    except NotFound as error:
        return "Trend", _problems([str(error)]), EMPTY, EMPTY, ""
    years, quarters = view.figures
    links = image_links(pathname, search, TREND_CHARTS, "Download the trend as an image:")
    tables = [html.P(links, className="image-downloads"), *_markdown(view.tables)]
    return view.title, _problems(view.problems), years, quarters, tables


def peer_outputs(user, pathname, search) -> tuple:
    try:
        view = unit_data.peers_view(user, pathname, search)
    except NotFound as error:
        return "Units like this one", _problems([str(error)])
    return view.title, _markdown(view.tables)


def case_mix_outputs(user, pathname, search) -> tuple:
    try:
        view = unit_data.case_mix_view(user, pathname, search)
    except NotFound as error:
        return "Case mix", EMPTY, {}, _problems([str(error)])
    figure = view.figures[0]
    links = image_links(pathname, search, CASE_MIX_CHARTS, "Download the chart as an image:")
    tables = [html.P(links, className="image-downloads"), *_markdown(view.tables)]
    return view.title, figure, {"height": f"{figure['layout']['height']}px"}, tables


# The page draws the first view (`first_view`): a callback answers only a change of state.
@app.expanded_callback(dash_outputs(TREND_OUTPUTS), LOCATION, prevent_initial_call=True)
def render_trend(pathname, search, **kwargs):
    return trend_outputs(kwargs.get("user"), pathname, search)


@app.expanded_callback(dash_outputs(PEER_OUTPUTS), LOCATION, prevent_initial_call=True)
def render_peers(pathname, search, **kwargs):
    return peer_outputs(kwargs.get("user"), pathname, search)


@app.expanded_callback(dash_outputs(CASE_MIX_OUTPUTS), LOCATION, prevent_initial_call=True)
def render_case_mix(pathname, search, **kwargs):
    return case_mix_outputs(kwargs.get("user"), pathname, search)


def first_view(user, pathname: str, search: str) -> html.Div:
    """The layout as the page's path and query string first show it: every callback's answer
    in place. Its Location is left empty, so when the app starts (on the first change of the
    page's state) it reads the address, and its callbacks answer the change."""
    tree = layout()  # its Location left empty: started later, the app reads the address then
    for outputs, answer in ((TREND_OUTPUTS, trend_outputs), (PEER_OUTPUTS, peer_outputs),
                            (CASE_MIX_OUTPUTS, case_mix_outputs)):  # fmt: skip
        with_outputs(tree, outputs, answer(user, pathname, search))
    return tree
