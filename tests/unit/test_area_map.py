"""The small server-drawn map of an area page."""

import xml.etree.ElementTree as ET

import pytest

from dashboards.area_map import MapPoint, area_map_svg

SQUARE = {"type": "Polygon", "coordinates": [[[-2, 52], [-1, 52], [-1, 53], [-2, 53], [-2, 52]]]}
NS = "{http://www.w3.org/2000/svg}"


def test_the_area_fills_the_frame_and_units_are_circles_with_their_text():
    points = [MapPoint("PZ1", -1.5, 52.5, "#2166ac", "Unit <A> & B: 50.0%")]
    svg = area_map_svg([SQUARE], points, "Map of Somewhere", width=200, height=200)
    root = ET.fromstring(svg)  # well-formed, escaped
    assert root.get("role") == "img" and root.get("aria-label") == "Map of Somewhere"
    circle = root.find(f"{NS}circle")
    assert circle.get("fill") == "#2166ac" and circle.get("data-code") == "PZ1"
    assert circle.find(f"{NS}title").text == "Unit <A> & B: 50.0%"
    assert 90 < float(circle.get("cx")) < 110 and 90 < float(circle.get("cy")) < 110  # centre
    path = root.find(f"{NS}path").get("d")
    xs = [float(p.split(",")[0]) for p in path.strip("MZ").split("L")]
    assert min(xs) >= 12 and max(xs) <= 188  # inside the padding


def test_north_is_up_and_shapes_are_squashed_by_latitude():
    svg = area_map_svg([SQUARE], [], "t", width=400, height=400)
    path = ET.fromstring(svg).find(f"{NS}path").get("d")
    corners = [tuple(map(float, p.split(","))) for p in path.strip("MZ").split("L")]
    (x0, y0), (x1, _), (_, y2) = corners[0], corners[1], corners[2]
    assert y2 < y0  # latitude 53 is above 52
    assert (x1 - x0) / (y0 - y2) == pytest.approx(0.6, abs=0.02)  # cos 52.5°


def test_without_shapes_the_frame_follows_the_points_and_nothing_is_drawn_for_nothing():
    points = [MapPoint("A", -3, 51, "#fff", "a"), MapPoint("B", 0, 54, "#fff", "b")]
    assert len(ET.fromstring(area_map_svg([], points, "t")).findall(f"{NS}circle")) == 2
    assert area_map_svg([], [], "t") == ""
