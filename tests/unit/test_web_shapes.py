import json

import shapely

from boundaries.web_shapes import AreaShape, dumps, web_feature_collection

# Two squares in British National Grid sharing the edge x = 400_000, near Birmingham.
WEST = shapely.box(390_000, 280_000, 400_000, 290_000)
EAST = shapely.box(400_000, 280_000, 410_000, 290_000)


def build(**kwargs) -> dict:
    return web_feature_collection(
        [AreaShape("E54000001", "West", WEST), AreaShape("E54000002", "East", EAST)], **kwargs
    )


def all_coordinates(collection: dict) -> list[list[float]]:
    return [
        point
        for feature in collection["features"]
        for polygon in feature["geometry"]["coordinates"]
        for ring in polygon
        for point in ring
    ]


def test_features_carry_only_code_and_name_as_multipolygons():
    collection = build()
    assert collection["type"] == "FeatureCollection"
    assert [f["properties"] for f in collection["features"]] == [
        {"code": "E54000001", "name": "West"},
        {"code": "E54000002", "name": "East"},
    ]
    assert {f["geometry"]["type"] for f in collection["features"]} == {"MultiPolygon"}


def test_coordinates_are_wgs84_rounded_to_four_decimals():
    coordinates = all_coordinates(build())
    for longitude, latitude in coordinates:
        assert -2.2 < longitude < -1.7 and 52.3 < latitude < 52.6  # around Birmingham
        assert round(longitude, 4) == longitude and round(latitude, 4) == latitude
    text = dumps(build())
    assert " " not in text  # compact separators


def test_exterior_rings_are_counter_clockwise():
    for feature in build()["features"]:
        ring = feature["geometry"]["coordinates"][0][0]
        assert shapely.LinearRing(ring).is_ccw


def test_neighbours_still_share_their_edge_after_simplification():
    collection = build(tolerance=50.0)
    west, east = (shapely.geometry.shape(f["geometry"]) for f in collection["features"])
    assert west.is_valid and east.is_valid
    assert west.intersection(east).area == 0
    shared = west.boundary.intersection(east.boundary)
    assert shared.length > 0.085  # the whole 10 km edge (0.09 deg of latitude), not a point


def test_simplification_removes_redundant_vertices():
    wiggly = shapely.Polygon(
        [(390_000 + i * 10, 280_000 + (i % 2)) for i in range(1001)]
        + [(400_000, 290_000), (390_000, 290_000)]
    )
    collection = web_feature_collection([AreaShape("E54000003", "Wiggly", wiggly)], tolerance=20)
    assert len(all_coordinates(collection)) < 20
    assert json.loads(dumps(collection)) == collection
