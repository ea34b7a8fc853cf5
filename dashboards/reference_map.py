"""A map of the reference geography: ICB and LHB boundaries with the unit points.

Reads only the cached web layers and unit points (public reference data), never patient data.
"""

import json

import dash_leaflet as dl
from dash import html
from django.conf import settings
from django_plotly_dash import DjangoDash

from boundaries import selectors
from constants.levels import OGL_ATTRIBUTION, RCPCH_ATTRIBUTION, BoundaryLevel

app = DjangoDash("reference_map", serve_locally=True)

AREA_STYLE = {"color": "#3366cc", "weight": 1, "fillColor": "#cfe0f7", "fillOpacity": 0.5}
WALES_STYLE = {"color": "#0d8a6a", "weight": 1, "fillColor": "#cdeee2", "fillOpacity": 0.5}


def layout() -> html.Div:
    layers = [
        dl.GeoJSON(
            data=json.loads(selectors.layer_text(BoundaryLevel.INTEGRATED_CARE_BOARD)),
            id="icb-layer",
            style=AREA_STYLE,
        ),
        dl.GeoJSON(
            data=json.loads(selectors.layer_text(BoundaryLevel.LOCAL_HEALTH_BOARD)),
            id="lhb-layer",
            style=WALES_STYLE,
        ),
        dl.LayerGroup(
            [
                dl.CircleMarker(
                    center=[unit["latitude"], unit["longitude"]],
                    radius=4,
                    color="#e00087",
                    weight=1,
                    fillOpacity=0.9,
                    children=dl.Tooltip(f"{unit['pz_code']} {unit['name']}"),
                )
                for unit in selectors.unit_points()
            ],
            id="unit-layer",
        ),
    ]
    if settings.NPDA_MAP_TILE_URL:
        layers.insert(
            0,
            dl.TileLayer(
                url=settings.NPDA_MAP_TILE_URL, attribution=settings.NPDA_MAP_TILE_ATTRIBUTION
            ),
        )
    return html.Div(
        [
            dl.Map(
                layers,
                center=[52.75, -2.3],
                zoomSnap=0.25,
                zoom=6.25,
                style={"height": "600px", "background": "#f4f6f8"},
                attributionControl=True,
            ),
            html.P(
                f"{OGL_ATTRIBUTION} {RCPCH_ATTRIBUTION}",
                className="attribution",
                style={"fontSize": "12px", "color": "#5b5b5b", "margin": "4px"},
            ),
        ]
    )


app.layout = layout
