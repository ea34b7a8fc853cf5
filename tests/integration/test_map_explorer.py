"""The map explorer against PostGIS: web shapes, layer files, the view and its one callback."""

import datetime as dt
import gzip
import json

import numpy as np
import pytest
import shapely
from django.urls import reverse
from pyproj import Transformer

from aggregation import selectors
from aggregation.releases import publish_release
from boundaries import selectors as boundaries
from boundaries.loader import BOUNDARY_MODELS
from constants.groups import GroupName
from dashboards.map_data import map_view, release_choices
from dashboards.map_outputs import update_request
from npda.data_model import models as m
from tests.factories import user_in_group
from tests.integration.conftest import make_large_units
from tests.worlds import world

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 1)
EAST_OF_ENGLAND, MIDLANDS, ENGLAND, WALES = "E40000007", "E40000011", "E92000001", "W92000004"
_TO_BNG = Transformer.from_crs(4326, 27700, always_xy=True)


@pytest.fixture
def released():
    """Built once per test process (tests/worlds.py)."""
    return world("map explorer release", _released)


def _released():
    period, _ = make_large_units()
    return period, publish_release(period, "final", today=TODAY)


# Web shapes -------------------------------------------------------------------------------------


def _to_bng(coordinates: np.ndarray) -> np.ndarray:
    return np.column_stack(_TO_BNG.transform(coordinates[:, 0], coordinates[:, 1]))


def _web_shapes(level) -> dict[str, shapely.Geometry]:
    """The served shapes of a level, back in British National Grid metres."""
    collection = json.loads(m.BoundaryLayer.objects.get(level=level).geojson)
    return {
        f["properties"]["code"]: shapely.transform(shapely.geometry.shape(f["geometry"]), _to_bng)
        for f in collection["features"]
    }


@pytest.mark.parametrize("level", list(BOUNDARY_MODELS))
def test_each_simplified_area_is_within_one_percent_of_its_full_shape(level):
    shapes = _web_shapes(level)
    full = dict(
        BOUNDARY_MODELS[level].objects.filter(code__in=shapes).values_list("code", "boundary")
    )
    assert set(full) == set(shapes)
    for code, shape in shapes.items():
        assert shape.is_valid, code
        assert shape.area == pytest.approx(full[code].area, rel=0.01), code


def _neighbours(shapes: dict[str, shapely.Geometry]) -> set[tuple[str, str]]:
    """Pairs of areas whose boundaries run together for more than 1 km."""
    codes = sorted(shapes)
    tree = shapely.STRtree([shapes[c] for c in codes])
    pairs = set()
    for i, j in zip(*tree.query([shapes[c] for c in codes], predicate="intersects"), strict=True):
        a, b = codes[i], codes[j]
        if a < b and shapes[a].boundary.intersection(shapes[b].boundary).length > 1000:
            pairs.add((a, b))
    return pairs


@pytest.mark.parametrize("level", list(BOUNDARY_MODELS))
def test_neighbours_still_share_their_edges_with_no_gaps_or_overlaps(level):
    web = _web_shapes(level)
    full = {
        code: shapely.from_wkb(bytes(boundary.wkb))
        for code, boundary in BOUNDARY_MODELS[level]
        .objects.filter(code__in=web)
        .values_list("code", "boundary")
    }
    assert _neighbours(web) == _neighbours(full) and len(full) > 1
    overlap = sum(web[a].intersection(web[b]).area for a, b in _neighbours(web))
    border = sum(web[a].boundary.intersection(web[b].boundary).length for a, b in _neighbours(web))
    assert overlap / border < 1.0  # metres: under the 10 m rounding of the coordinates


def test_the_icb_layer_is_at_most_60_kb_gzipped_and_only_england_and_wales_are_countries():
    icb = m.BoundaryLayer.objects.get(level="icb")
    assert icb.feature_count == 42 and len(bytes(icb.geojson_gzip)) <= 60 * 1024
    countries = json.loads(m.BoundaryLayer.objects.get(level="country").geojson)
    assert [f["properties"]["code"] for f in countries["features"]] == [ENGLAND, WALES]


# Layer files ------------------------------------------------------------------------------------


def test_versioned_layers_are_immutable_and_a_stale_version_is_gone(client):
    layers = boundaries.web_layers()
    assert set(layers) == {"country", "region", "icb", "lhb", "units"}
    icb = layers["icb"]
    response = client.get(icb.url, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200 and response["Content-Encoding"] == "gzip"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert len(json.loads(gzip.decompress(response.content))["features"]) == 42
    assert client.get(icb.url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    stale = reverse("boundary-layer-version", args=["icb", "0" * 16])
    assert client.get(stale).status_code == 404


def test_the_unit_layer_has_every_located_unit_jersey_included(client):
    response = client.get(boundaries.web_layers()["units"].url)
    features = json.loads(response.content)["features"]
    located = m.PaediatricDiabetesUnit.objects.filter(point__isnull=False).count()
    assert len(features) == located
    jersey = next(f for f in features if f["properties"]["code"] == "PZ248")
    longitude, latitude = jersey["geometry"]["coordinates"]
    assert 49.1 < latitude < 49.3 and -2.3 < longitude < -2.0
    assert set(jersey["properties"]) == {"code", "name", "parent"}


def test_area_bounds_contain_the_area():
    box = boundaries.area_bounds("region")[MIDLANDS]
    (south, west), (north, east) = box
    assert 51.5 < south < north < 54 and -3.5 < west < east < 1


# The view ---------------------------------------------------------------------------------------


def test_release_choices_follow_the_role(released):
    period, final = released
    provisional = publish_release(period, "provisional", as_at=dt.date(2024, 9, 30), today=TODAY)
    public = [c.value for c in release_choices(None)]
    assert public == ["latest", str(final.pk)]
    unit_staff = user_in_group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, units=("PZ041",))
    assert str(provisional.pk) in [c.value for c in release_choices(unit_staff)]
    assert "live-2024" not in [c.value for c in release_choices(unit_staff)]
    audit_team = user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY)
    assert "live-2024" in [c.value for c in release_choices(audit_team)]


def test_the_view_shows_the_release_rows_of_the_level(released):
    _, final = released
    view = map_view("?level=icb&measure=25", None)
    expected = selectors.area_results(final.pk, "icb", "25")
    assert {r.area_code: r.value for r in view.results} == {r.area_code: r.value for r in expected}
    assert len(view.rows) == len(expected) > 0
    assert view.area_level == "icb" and view.release.id == final.pk
    released_icbs = {a.code for a in selectors.areas("icb", final.pk)}
    assert set(view.area_hideout["fill"]) == released_icbs  # others are drawn without data
    assert view.context_hideout == {"show": [WALES]}
    assert set(view.unit_hideout["fill"]) == {"PZ041", "PZ002", "PZ003", "PZ004"}  # not Wales
    assert view.csv_url == f"/api/v1/aggregates?level=icb&measure=25&release={final.pk}&format=csv"
    assert "SDC-2" in view.release_text and view.problems == []


def test_drilling_into_a_region_shows_its_icbs_and_their_units(released):
    view = map_view(f"?level=icb&measure=25&area={EAST_OF_ENGLAND}", None)
    icbs = set(m.IntegratedCareBoard.objects.filter(nhs_england_region_id=EAST_OF_ENGLAND)
               .values_list("code", flat=True))  # fmt: skip
    assert {r.area_code for r in view.results} <= icbs and view.results
    assert set(view.unit_hideout["fill"]) == {"PZ041", "PZ002"}  # the region's units with data
    assert [c.label for c in view.crumbs] == ["England and Wales", "England", "East of England"]
    assert view.bounds == boundaries.area_bounds("region")[EAST_OF_ENGLAND]
    assert view.csv_url.endswith(f"&parent={EAST_OF_ENGLAND}")


def test_an_icb_is_shown_divided_into_its_units(released):
    icb = m.PaediatricDiabetesUnit.objects.get(pz_code="PZ041").integrated_care_board_id
    view = map_view(f"?level=icb&measure=25&area={icb}", None)  # an ICB holds no ICBs
    assert view.state.level == "pdu" and view.area_level == "icb"
    assert [r.area_code for r in view.results] == ["PZ041"]
    assert view.area_hideout["focus"] == icb


def test_bad_parts_of_the_query_fall_back_with_messages(released):
    view = map_view("?level=icb&measure=999&area=PZ041&release=live-2024", None)
    assert view.state.measure == "44" and view.state.area == "" and not view.is_live
    assert len(view.problems) == 3


def test_the_audit_team_sees_live_results_compared_with_england_and_wales(released):
    period, _ = released
    audit_team = user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY)
    view = map_view("?level=pdu&measure=25&release=live-2024", audit_team)
    assert view.is_live and view.release is None and view.csv_url == ""
    live = {r.area_code: r for r in selectors.live_area_results(audit_team, period, "pdu", "25")}
    assert {r.area_code for r in view.results} == set(live)
    assert {r.comparison for r in view.results} <= {"better", "similar", "worse"}
    assert all(row.incomplete != "" for row in view.rows)
    assert "not published" in view.release_text


# The one callback, through django-plotly-dash's endpoint ----------------------------------------


def callback(client, search: str, shown=None) -> dict:
    body = update_request(search, shown)
    response = client.post(
        "/django_plotly_dash/app/map_explorer/_dash-update-component",
        json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content[:500]
    return json.loads(response.content)["response"]


def test_the_callback_restyles_without_geometry_and_moves_only_on_a_new_place(client, released):
    first = callback(client, "?level=region&measure=25")
    second = callback(client, "?level=region&measure=25&colour=value", ["region", ""])
    assert (
        first["area-layer"]["url"]
        == second["area-layer"]["url"]
        == (boundaries.web_layers()["region"].url)
    )
    assert first["area-layer"]["hideout"]["fill"] != second["area-layer"]["hideout"]["fill"]
    assert "viewport" in first["map"] and "map" not in second  # same place: the view stays
    assert first["map-title"]["children"] == "25 HbA1c: NHS England regions"
    assert len(json.dumps(second)) < 40_000  # styling only, never geometry
    anonymous = callback(client, "?level=region&measure=25&release=live-2024")
    assert "Live results are for signed-in members" in json.dumps(anonymous["map-problems"])
    assert "Live, not published" not in json.dumps(anonymous["map-release"])


# The open data API's parent filter --------------------------------------------------------------


def test_the_api_gives_exactly_the_areas_within_a_parent(client, released):
    _, final = released
    query = f"/api/v1/aggregates?level=pdu&measure=25&release={final.pk}&parent={ENGLAND}"
    rows = client.get(query).json()["rows"]
    assert {r["area_code"] for r in rows} == {"PZ041", "PZ002", "PZ003", "PZ004"}
    bad = client.get(query.replace(ENGLAND, "E99999999"))
    assert bad.status_code == 400 and bad.json()["parameter"] == "parent"
    assert client.get(query + "&format=csv")["Content-Disposition"].endswith(f'-in-{ENGLAND}.csv"')


def test_a_measure_never_compared_is_coloured_by_value_with_a_note(released):
    view = map_view("?level=icb&measure=45", None)  # the median has no interval
    assert view.notes == [
        "Median HbA1c is not compared with England and Wales here, so the map is coloured by value."
    ]
    assert "value" in view.legend_title


def test_dash_answers_are_gzipped_and_pages_are_not(client, released):
    body = json.dumps(update_request("?level=pdu&measure=25"))
    url = "/django_plotly_dash/app/map_explorer/_dash-update-component"
    answer = client.post(url, body, content_type="application/json", HTTP_ACCEPT_ENCODING="gzip")
    assert answer["Content-Encoding"] == "gzip"
    assert "PZ041" in gzip.decompress(answer.content).decode()
    page = client.get("/maps/", HTTP_ACCEPT_ENCODING="gzip")
    assert page.status_code == 200 and not page.has_header("Content-Encoding")
