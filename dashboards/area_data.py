"""What an area's page and its PDF report both read: its units' results on one measure and its
small map (the area and its units, coloured by comparison), from one published release."""

from aggregation import selectors
from aggregation.areas import Area
from aggregation.selectors import AreaPage, AreaResult
from boundaries import selectors as boundaries

from . import map_figures as fig
from .area_map import MapPoint, area_map_svg

POLYGON_LEVELS = ("icb", "region", "lhb", "country")


def mapped_area(area: Area) -> Area | None:
    """The area whose map shows `area`: itself, or for a unit its ICB or health board (None
    for a unit with neither)."""
    if area.level != "pdu":
        return area
    own = selectors.unit_areas(area.code)
    return own.get("icb") or own.get("lhb")


def unit_results(page: AreaPage, measure: str) -> dict[str, AreaResult]:
    """The area's units' results on a measure, by unit code."""
    inside = {u.code for u in page.units}
    return {
        r.area_code: r for r in selectors.area_results(page.release_id, "pdu", measure)
        if r.area_code in inside
    }  # fmt: skip


def area_map(page: AreaPage, results: dict[str, AreaResult], measure_name: str) -> str:
    """The area's shape (England and Wales for the nation, the countries under a network or
    trust, which have no shape) with its units coloured by comparison, as SVG."""
    level = page.area.level
    if level == "national":
        shapes, context = list(boundaries.area_geometry("country").values()), []
    elif level in POLYGON_LEVELS:
        own = boundaries.area_geometry(level).get(page.area.code)
        shapes, context = ([own] if own else []), []
    else:
        shapes, context = [], list(boundaries.area_geometry("country").values())
    colour = fig.Colouring("comparison")
    inside = {u.code for u in page.units}
    points = []
    for unit in boundaries.unit_points():
        code = unit["pz_code"]
        if code not in inside:
            continue
        result = results.get(code)
        points.append(
            MapPoint(
                code, unit["longitude"], unit["latitude"],
                colour.fill(result) if result else fig.NO_DATA_COLOUR,
                "; ".join(fig.tooltip_lines(result, measure_name)) if result else unit["name"],
            )
        )  # fmt: skip
    title = f"Map of {page.area.name} and its units, coloured by comparison on {measure_name}"
    return area_map_svg(shapes, points, title, context=context)
