"""A small map of one area and its units as an SVG string, drawn on the server from the stored
web shapes: no JavaScript, no tiles, printable, and the same drawing an export can reuse.

Pure functions: GeoJSON geometries (WGS84) and points in, escaped SVG text out.
"""

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

# Neutral shapes (ADR 0025): only the units' dots carry a comparison colour.
AREA_STYLE = 'fill="#f3f2f1" stroke="#505a5f" stroke-width="1.2"'
CONTEXT_STYLE = 'fill="#fafafa" stroke="#b1b4b6" stroke-width="0.6"'
DOT_STYLE = 'stroke="#0b0c0c" stroke-width="1"'


@dataclass(frozen=True)
class MapPoint:
    code: str
    longitude: float
    latitude: float
    colour: str
    label: str  # the hover text: name, value, comparison


def _rings(geometry: dict) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


@dataclass(frozen=True)
class _Frame:
    """Longitude and latitude to SVG pixels: equirectangular, shrunk by cos(latitude) so the
    shapes look right at British latitudes."""

    west: float
    north: float
    scale: float
    squash: float
    left: float  # margins that centre the drawing
    top: float

    def xy(self, longitude: float, latitude: float) -> tuple[float, float]:
        x = self.left + (longitude - self.west) * self.squash * self.scale
        y = self.top + (self.north - latitude) * self.scale
        return round(x, 1), round(y, 1)


def _frame(points: list[tuple[float, float]], width: float, height: float, pad: float):
    west = min(p[0] for p in points)
    east = max(p[0] for p in points)
    south = min(p[1] for p in points)
    north = max(p[1] for p in points)
    squash = math.cos(math.radians((north + south) / 2))
    span_x = max((east - west) * squash, 1e-6)
    span_y = max(north - south, 1e-6)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    left = (width - span_x * scale) / 2
    top = (height - span_y * scale) / 2
    return _Frame(west, north, scale, squash, left, top)


def area_map_svg(
    shapes: Sequence[dict],
    points: Sequence[MapPoint],
    title: str,
    *,
    context: Sequence[dict] = (),
    width: int = 360,
    height: int = 420,
) -> str:
    """The area's shapes (filled), faint context shapes, and the units as circles with their
    hover text; framed on the shapes (or on the points when there are no shapes)."""
    corners = [tuple(c) for g in shapes for ring in _rings(g) for c in ring]
    corners = corners or [(p.longitude, p.latitude) for p in points]
    if not corners:
        return ""
    frame = _frame(corners, width, height, pad=12)

    def path(geometry: dict) -> str:
        parts = []
        for ring in _rings(geometry):
            coords = [frame.xy(*c) for c in ring]
            parts.append("M" + "L".join(f"{x},{y}" for x, y in coords) + "Z")
        return "".join(parts)

    # Presentation attributes, not a style sheet: the SVG looks the same inside a PDF report.
    body = [f'<path d="{path(g)}" class="context" {CONTEXT_STYLE}/>' for g in context]
    body += [f'<path d="{path(g)}" class="area" {AREA_STYLE}/>' for g in shapes]
    for p in points:
        x, y = frame.xy(p.longitude, p.latitude)
        if -20 <= x <= width + 20 and -20 <= y <= height + 20:
            body.append(
                f'<circle cx="{x}" cy="{y}" r="6" fill="{html.escape(p.colour)}" {DOT_STYLE} '
                f'data-code="{html.escape(p.code)}"><title>{html.escape(p.label)}</title></circle>'
            )
    label = html.escape(title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{label}" class="area-map">'
        f"<title>{label}</title>{''.join(body)}</svg>"
    )
