"""Read-only access to the web map layers (public reference data: no patient data here).

Each layer is addressed by an immutable URL that carries its fingerprint, so browsers cache it
for a year and a new reference-data load changes the URL rather than the file behind it.
"""

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

import shapely
from django.urls import reverse

from boundaries.web_shapes import dumps
from constants.levels import BoundaryLevel
from npda.data_model.models import BoundaryLayer, PaediatricDiabetesUnit, ReferenceDataLoad

UNITS = "units"
VERSION_LENGTH = 16


@dataclass(frozen=True)
class WebLayer:
    level: str  # a BoundaryLevel, or "units" for the unit points
    version: str  # the start of the layer's SHA-256
    feature_count: int

    @property
    def url(self) -> str:
        return reverse("boundary-layer-version", args=[self.level, self.version])


def web_layers() -> dict[str, WebLayer]:
    """The polygon layers by level, and the unit points under "units" (one small query)."""
    layers = {
        level: WebLayer(level, fingerprint[:VERSION_LENGTH], count)
        for level, fingerprint, count in BoundaryLayer.objects.values_list(
            "level", "fingerprint", "feature_count"
        )
    }
    units = unit_layer()
    layers[UNITS] = WebLayer(UNITS, units.version, units.feature_count)
    return layers


@dataclass(frozen=True)
class LayerFile:
    text: str
    gzip: bytes
    version: str
    feature_count: int


def layer_file(level: str) -> LayerFile | None:
    if level == UNITS:
        return unit_layer()
    row = (
        BoundaryLayer.objects.filter(level=level)
        .values_list("geojson", "geojson_gzip", "fingerprint", "feature_count")
        .first()
    )
    if row is None:
        return None
    text, compressed, fingerprint, count = row
    return LayerFile(text, bytes(compressed), fingerprint[:VERSION_LENGTH], count)


def layer_text(level: str) -> str:
    """A level's GeoJSON text (an empty collection before the reference data is loaded)."""
    layer = layer_file(level)
    return layer.text if layer else '{"type":"FeatureCollection","features":[]}'


def unit_points() -> list[dict]:
    """Code, name and WGS84 point of every unit that has a location."""
    return [
        {"pz_code": code, "name": name, "longitude": point.x, "latitude": point.y}
        for code, name, point in PaediatricDiabetesUnit.objects.filter(point__isnull=False)
        .order_by("pz_code")
        .values_list("pz_code", "name", "point")
    ]


def unit_layer() -> LayerFile:
    """The units with a location as GeoJSON points (code, name, ICB or health board)."""
    last_load = ReferenceDataLoad.objects.order_by("-loaded_at").values_list("pk", flat=True)
    return _unit_layer(last_load.first())


@lru_cache(maxsize=2)
def _unit_layer(load_id: int | None) -> LayerFile:
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": name, "parent": icb or lhb or ""},
            "geometry": {"type": "Point", "coordinates": [round(p.x, 5), round(p.y, 5)]},
        }
        for code, name, icb, lhb, p in PaediatricDiabetesUnit.objects.filter(point__isnull=False)
        .order_by("pz_code")
        .values_list(
            "pz_code", "name", "integrated_care_board_id", "local_health_board_id", "point"
        )
    ]
    text = dumps({"type": "FeatureCollection", "features": features})
    encoded = text.encode()
    version = hashlib.sha256(encoded).hexdigest()[:VERSION_LENGTH]
    return LayerFile(text, gzip.compress(encoded, mtime=0), version, len(features))


def area_geometry(level: str) -> dict[str, dict]:
    """Each area's web GeoJSON geometry (WGS84), by code: for small maps drawn on the server."""
    if level not in BoundaryLevel.values:
        return {}
    fingerprint = BoundaryLayer.objects.filter(level=level).values_list("fingerprint", flat=True)
    return _geometries(level, fingerprint.first())


@lru_cache(maxsize=8)
def _geometries(level: str, fingerprint: str | None) -> dict[str, dict]:
    if fingerprint is None:
        return {}
    text = BoundaryLayer.objects.values_list("geojson", flat=True).get(level=level)
    return {f["properties"]["code"]: f["geometry"] for f in json.loads(text)["features"]}


def area_bounds(level: str) -> dict[str, list[list[float]]]:
    """Each area's bounding box as Leaflet wants it, [[south, west], [north, east]]."""
    if level not in BoundaryLevel.values:
        return {}
    fingerprint = BoundaryLayer.objects.filter(level=level).values_list("fingerprint", flat=True)
    return _bounds(level, fingerprint.first())


@lru_cache(maxsize=8)
def _bounds(level: str, fingerprint: str | None) -> dict[str, list[list[float]]]:
    bounds = {}
    for code, geometry in _geometries(level, fingerprint).items():
        west, south, east, north = shapely.geometry.shape(geometry).bounds
        bounds[code] = [[south, west], [north, east]]
    return bounds
