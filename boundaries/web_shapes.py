"""Web-ready boundary layers: one GeoJSON FeatureCollection per level, built once per load.

Shapes come in as British National Grid (EPSG:27700) polygons that tile the country. They are
simplified as a coverage (shared edges stay shared, so no slivers open between neighbours) to
500 m, the ONS ultra-generalised (BUC) scale: the ICB layer is about 50 KB gzipped and every area
keeps its area within 0.3 % (tested against the stored shapes). They are then reprojected to WGS84
(EPSG:4326, as RFC 7946 requires) and rounded to 4 decimal places (about 10 m) with
`set_precision`, which keeps the coverage valid where plain rounding would not.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer

SIMPLIFY_TOLERANCE_METRES = 500.0
COORDINATE_DECIMALS = 4
# Names how the layers are made: stored with each layer, so a changed recipe rebuilds them even
# when the reference files are unchanged.
RECIPE = f"coverage-{SIMPLIFY_TOLERANCE_METRES:.0f}m-{COORDINATE_DECIMALS}dp-england-wales-v3"
_TO_WGS84 = Transformer.from_crs(27700, 4326, always_xy=True)


@dataclass(frozen=True)
class AreaShape:
    code: str
    name: str
    geometry: shapely.Geometry  # EPSG:27700


def _to_wgs84(geometry: shapely.Geometry) -> shapely.Geometry:
    def transform(coords: np.ndarray) -> np.ndarray:
        x, y = _TO_WGS84.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, transform)


def _as_multipolygon(geometry: shapely.Geometry) -> shapely.MultiPolygon:
    if isinstance(geometry, shapely.MultiPolygon):
        return geometry
    if isinstance(geometry, shapely.Polygon):
        return shapely.MultiPolygon([geometry])
    polygons = [g for g in shapely.get_parts(geometry) if isinstance(g, shapely.Polygon)]
    return shapely.MultiPolygon(polygons)


def _rounded(coords: Iterable) -> list:
    return [[round(x, COORDINATE_DECIMALS), round(y, COORDINATE_DECIMALS)] for x, y in coords]


def _geojson_geometry(geometry: shapely.MultiPolygon) -> dict:
    polygons = []
    for polygon in geometry.geoms:
        polygon = shapely.geometry.polygon.orient(polygon, sign=1.0)  # RFC 7946: CCW exteriors
        rings = [polygon.exterior, *polygon.interiors]
        polygons.append([_rounded(ring.coords) for ring in rings])
    return {"type": "MultiPolygon", "coordinates": polygons}


def _as_coverage(geometries: np.ndarray) -> np.ndarray:
    """The areas rebuilt from one noded set of edges when they are not a clean coverage (the
    ONS country and health board files overlap by up to 0.02 km² after reprojection), so
    neighbours share each edge exactly and coverage simplification keeps it shared. Each face
    goes to the first area containing it; faces inside no area (gaps) stay gaps."""
    if len(geometries) < 2 or shapely.coverage_is_valid(geometries):
        return geometries
    edges = shapely.union_all([shapely.boundary(g) for g in geometries])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(edges)))
    inside = shapely.point_on_surface(faces)
    owners = np.full(len(faces), -1)
    for i, geometry in enumerate(geometries):
        free = owners < 0
        owners[free & shapely.contains(geometry, inside)] = i
    return np.array(
        [shapely.union_all(faces[owners == i]) for i in range(len(geometries))], dtype=object
    )


def web_feature_collection(
    areas: list[AreaShape], tolerance: float = SIMPLIFY_TOLERANCE_METRES
) -> dict:
    """A compact FeatureCollection (EPSG:4326) of the areas, with properties code and name."""
    geometries = _as_coverage(np.array([area.geometry for area in areas], dtype=object))
    if tolerance > 0:
        geometries = shapely.coverage_simplify(geometries, tolerance)
    features = []
    for area, geometry in zip(areas, geometries, strict=True):
        wgs84 = shapely.set_precision(_to_wgs84(geometry), 10**-COORDINATE_DECIMALS)
        features.append(
            {
                "type": "Feature",
                "properties": {"code": area.code, "name": area.name},
                "geometry": _geojson_geometry(_as_multipolygon(shapely.make_valid(wgs84))),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def dumps(collection: dict) -> str:
    return json.dumps(collection, separators=(",", ":"), ensure_ascii=False)
