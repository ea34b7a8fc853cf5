"""Pure builders of the figures that are downloaded as images (ADR 0017): the dashboards' own
figures framed with their title, period, source and attribution, and the map drawn from the
stored web shapes with the colours the Leaflet style functions use.

Plotly JSON in, plotly JSON out: no Django, no database, no Chromium (`rendering` draws them).
"""

import html
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from .map_figures import LegendItem
from .plot_style import TEMPLATE_JSON

FONT = "DejaVu Sans, Arial, sans-serif"
LINE_HEIGHT = 15  # pixels per line of the 11-pixel source text
AXIS_SPACE = 70  # under the plot: the x axis, its ticks and title
TOP_SPACE = 140  # above the plot: title, period and a legend in a row
CHART_SIZE = (1000, 560)
MAP_SIZE = (900, 1000)


def _lines(text: str, width: int) -> list[str]:
    """Wrapped at about the characters an 11-pixel line holds across the image."""
    return textwrap.wrap(text, width=max(40, int(width / 6.2)))


def framed(figure: dict, *, title: str, period: str, source: str, width: int, height: int) -> dict:
    """The figure at a fixed size with its title and period at the top and the source and
    attribution at the foot, so the file explains itself away from the page."""
    layout = dict(figure.get("layout", {}))
    source_lines = _lines(source, width)
    foot = AXIS_SPACE + LINE_HEIGHT * len(source_lines)
    margin = dict(layout.get("margin") or {})
    legend = dict(layout.get("legend") or {})
    if legend.get("orientation") == "h":  # under the axis it would sit on the source text
        legend.update(x=0, y=1.0, xanchor="left", yanchor="bottom")
    layout.update(
        width=width,
        height=height + foot,
        template=layout.get("template", TEMPLATE_JSON),
        font={"family": FONT, "size": 12, "color": "#222"},
        paper_bgcolor="white",
        title={
            "text": _escape(title),
            "subtitle": {"text": "<br>".join(_escape(line) for line in _lines(period, width))},
            "x": 0.01,
            "xanchor": "left",
            "y": 0.985,
            "yanchor": "top",
            "font": {"size": 17},
        },
        legend=legend,
        margin={"l": margin.get("l", 70), "r": margin.get("r", 30), "t": TOP_SPACE, "b": foot},
        annotations=[
            *layout.get("annotations", []),
            {
                "text": "<br>".join(_escape(line) for line in source_lines),
                "xref": "paper", "yref": "paper", "x": 0, "y": 0,
                "xanchor": "left", "yanchor": "bottom", "yshift": 8 - foot,
                "xshift": -margin.get("l", 70) + 12,
                "align": "left", "showarrow": False, "font": {"size": 11, "color": "#444"},
            },
        ],
    )  # fmt: skip
    layout.pop("hoverlabel", None)
    return {"data": figure.get("data", []), "layout": layout}


def _escape(text: str) -> str:
    """Plotly reads a small HTML subset in text: a name must not be taken for markup."""
    return html.escape(text, quote=False)


# The map ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapArea:
    geometry: dict  # GeoJSON Polygon or MultiPolygon, WGS84
    fill: str
    outlined: bool = False  # the chosen area, drawn with a dark edge


@dataclass(frozen=True)
class MapDot:
    longitude: float
    latitude: float
    fill: str
    radius: float  # pixels, as on the Leaflet map


def _polygons(geometry: dict) -> list:
    return [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]


def _path(geometry: dict, squash: float) -> str:
    return "".join(
        "M" + "L".join(f"{x * squash:.4f},{y:.4f}" for x, y in ring) + "Z"
        for polygon in _polygons(geometry)
        for ring in polygon
    )


def _shape(area: MapArea, squash: float, *, line: str, width: float) -> dict:
    return {
        "type": "path", "path": _path(area.geometry, squash), "fillcolor": area.fill,
        "fillrule": "evenodd", "opacity": 1, "line": {"color": line, "width": width},
        "xref": "x", "yref": "y", "layer": "below",
    }  # fmt: skip


def map_figure(
    areas: Sequence[MapArea],
    dots: Sequence[MapDot],
    legend: Sequence[LegendItem],
    *,
    legend_title: str,
    bounds: Sequence[Sequence[float]],  # [[south, west], [north, east]] as Leaflet takes them
    context: Sequence[MapArea] = (),
) -> dict:
    """Areas as filled SVG paths (even-odd, so holes stay holes) on plain axes, longitude
    shrunk by cos(latitude) as the eye expects at British latitudes; units as circles; the
    legend in words beside it. Plotly's `geo` maps would fetch a world outline from a CDN."""
    (south, west), (north, east) = bounds
    squash = math.cos(math.radians((south + north) / 2))
    shapes = [_shape(a, squash, line="#bdbdbd", width=0.4) for a in context]
    shapes += [_shape(a, squash, line="white", width=0.6) for a in areas if not a.outlined]
    shapes += [_shape(a, squash, line="#111", width=2) for a in areas if a.outlined]
    frame = {
        "type": "scatter", "x": [west * squash, east * squash], "y": [south, north],
        "mode": "markers", "marker": {"opacity": 0}, "hoverinfo": "skip", "showlegend": False,
    }  # fmt: skip
    traces = [frame]
    if dots:
        traces.append({
            "type": "scatter", "mode": "markers", "showlegend": False, "hoverinfo": "skip",
            "x": [d.longitude * squash for d in dots], "y": [d.latitude for d in dots],
            "marker": {"color": [d.fill for d in dots], "size": [2 * d.radius for d in dots],
                       "line": {"color": "#333", "width": 0.7}, "opacity": 1},
        })  # fmt: skip
    for item in legend:  # a swatch and its words per class: the colours are never alone
        traces.append({
            "type": "scatter", "x": [None], "y": [None], "mode": "markers", "name": item.label,
            "marker": {"color": item.colour, "size": 13, "symbol": "square",
                       "line": {"color": "#555", "width": 0.7}},
        })  # fmt: skip
    axis = {"visible": False, "showgrid": False, "zeroline": False}
    return {
        "data": traces,
        "layout": {
            "shapes": shapes,
            "xaxis": {**axis, "range": [west * squash, east * squash]},
            "yaxis": {**axis, "range": [south, north], "scaleanchor": "x", "scaleratio": 1},
            "plot_bgcolor": "white",
            "showlegend": bool(legend),
            "legend": {
                "title": {"text": "<br>".join(_escape(t) for t in _lines(legend_title, 260))},
                "x": 0.01, "y": 0.99, "xanchor": "left", "yanchor": "top",
                "bgcolor": "rgba(255,255,255,0.85)", "bordercolor": "#ccc", "borderwidth": 1,
            },
            "margin": {"l": 10, "r": 10},
        },
    }  # fmt: skip
