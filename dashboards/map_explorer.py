"""The map explorer (`/maps/`): KPI choropleths by ICB, region, Welsh health board and country,
with the units as points, embedded in the Django page by `{% plotly_direct %}`.

One callback: the query string in, everything drawn out. Geometry comes once per level from
its immutable URL; a new measure, release or colouring only changes the layers' `hideout`.
The controls are the Django page's own form (native, labelled, working without JavaScript);
`static/dashboards/map.js` turns their changes and map clicks into new query strings.
"""

import dash_leaflet as dl
from dash import Input, Output, State, dcc, html, no_update
from django.conf import settings
from django.urls import reverse
from django_plotly_dash import DjangoDash

from boundaries.selectors import UNITS
from constants.levels import OGL_ATTRIBUTION, RCPCH_ATTRIBUTION

from . import map_figures as fig
from .downloads import image_links
from .map_data import MapView, map_view
from .map_outputs import OUTPUTS

app = DjangoDash("map_explorer", serve_locally=True)

STYLE = "dashExtensions.npda."


def _js(function: str) -> dict:
    """A style function of static/dashboards/map.js, by name."""
    return {"variable": STYLE + function}


def _pane(name: str, z_index: int, **geojson) -> dl.Pane:
    return dl.Pane(dl.GeoJSON(**geojson), name=name, style={"zIndex": z_index})


def _layers() -> list:
    # Each layer in its own pane, so the order holds whichever geometry arrives last: the other
    # nation below, the areas, then the unit points on top.
    layers = [
        _pane("context", 380, id="context-layer", style=_js("contextStyle"),
              filter=_js("contextFilter"), hideout={"show": []}, interactive=False),
        _pane("areas", 400, id="area-layer", style=_js("areaStyle"),
              onEachFeature=_js("onEachArea"), hideout={}),
        _pane("units", 450, id="unit-layer", pointToLayer=_js("unitPoint"),
              filter=_js("unitFilter"), hideout={}),
    ]  # fmt: skip
    if settings.NPDA_MAP_TILE_URL:
        tiles = dl.TileLayer(
            url=settings.NPDA_MAP_TILE_URL, attribution=settings.NPDA_MAP_TILE_ATTRIBUTION
        )
        layers.insert(0, tiles)
    return layers


def layout() -> html.Div:
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            dcc.Store(id="shown-place"),
            html.Div(id="map-problems", role="status", className="map-problems"),
            html.Nav(id="map-breadcrumb", className="breadcrumb", **{"aria-label": "Breadcrumb"}),
            html.H2(id="map-title", className="map-title"),
            html.P(id="map-release", className="map-release"),
            html.P(id="map-definition", className="definition"),
            html.Div(
                [
                    html.Div(
                        [
                            html.Div(
                                dl.Map(
                                    _layers(),
                                    id="map",
                                    center=[52.5, -2.3],
                                    zoom=6,
                                    zoomSnap=0.25,
                                    style={"height": "640px", "background": "#f8f9fa"},
                                    attributionControl=False,
                                ),
                                role="region",
                                className="map-canvas",
                                **{
                                    "aria-label": "Map (the table beside it lists the same "
                                    "values, with links to drill down)"
                                },
                            ),
                            html.Div(id="map-legend", className="legend"),
                            html.P(
                                f"{OGL_ATTRIBUTION} {RCPCH_ATTRIBUTION}",
                                className="attribution",
                            ),
                        ],
                        className="map-column",
                    ),
                    html.Div(
                        [html.Div(id="map-table"), html.P(id="map-download")],
                        className="table-column",
                    ),
                ],
                className="map-layout",
            ),
        ],
        className="map-explorer",
    )


app.layout = layout


def _output(name: str) -> Output:
    component, prop = name.split(".")
    return Output(component, prop)


@app.expanded_callback(
    [_output(name) for name in OUTPUTS],
    [Input("url", "search")],
    [State("shown-place", "data")],
)
def render(search, shown_place, **kwargs):
    view = map_view(search or "", kwargs.get("user"))
    place = [view.state.level, view.state.area]
    viewport = no_update if place == shown_place else {"bounds": view.bounds}
    return (
        [html.P(problem, className="problem") for problem in view.problems]
        + [html.P(note, className="note") for note in view.notes],
        breadcrumb(view),
        view.title,
        release_note(view),
        [html.Strong("Definition: "), view.definition],
        view.layer_urls.get(view.area_level, ""),
        view.area_hideout,
        view.layer_urls.get("country", ""),
        view.context_hideout,
        view.layer_urls.get(UNITS, ""),
        view.unit_hideout,
        legend(view),
        table(view),
        download(view),
        viewport,
        place,
    )


# Small pure builders of the components (tested with the view) -----------------------------------


def state_link(label: str, query: str, **attributes) -> html.A:
    return html.A(label, href=query, **{"data-state": "1"}, **attributes)


def breadcrumb(view: MapView) -> html.Ol:
    items = []
    for crumb in view.crumbs:
        if crumb.state is None:
            items.append(html.Li(html.Span(crumb.label, **{"aria-current": "page"})))
        else:
            items.append(html.Li(state_link(crumb.label, crumb.state.query())))
    return html.Ol(items)


def release_note(view: MapView) -> list:
    if view.is_live:
        return [html.Strong("Live, not published. ", className="live-badge"), view.release_text]
    return [view.release_text]


def legend(view: MapView) -> html.Div:
    items = [
        html.Li([html.Span(className="swatch", style={"background": item.colour}), item.label])
        for item in view.legend
    ]
    return html.Div(
        [html.P(view.legend_title, className="legend-title"), html.Ul(items)],
        role="group",
        **{"aria-label": "Legend"},
    )


def table(view: MapView) -> dcc.Markdown:
    """The table as one HTML string (escaped by its builder): a table of 172 units as Dash
    components costs 30 ms to build and encode, as a string under 1 ms."""
    count = len(view.rows)
    caption = f"{view.title} ({count} {'row' if count == 1 else 'rows'})"
    if view.not_shown:
        caption += f". {view.not_shown}"
    text = fig.table_html(view.rows, view.sort_queries, caption, view.unit, live=view.is_live)
    return dcc.Markdown(text, dangerously_allow_html=True)


MAP_CHARTS = (("map", "map"),)


def download(view: MapView) -> list:
    if not view.csv_url:
        return ["Live results are not published, so they cannot be downloaded here."]
    query = view.state.query()
    return [
        html.A("Download these rows (CSV)", href=view.csv_url, download=""),
        " from the open data API.",
        *image_links(reverse("maps"), "" if query == "?" else query, MAP_CHARTS,
                     " This map as an image:"),
        ".",
    ]  # fmt: skip
