"""The real reference data, as loaded into PostGIS once per test session."""

import gzip
import json

import pytest
from django.db import connection
from django.db.models import F
from django.urls import reverse

from boundaries.loader import load_reference_data
from constants.levels import BoundaryLevel
from npda.data_model import models as m

pytestmark = pytest.mark.django_db

ENGLAND, WALES = "E92000001", "W92000004"


def test_level_counts():
    assert m.IntegratedCareBoard.objects.count() == 42
    assert m.LocalHealthBoard.objects.count() == 7
    assert m.NHSEnglandRegion.objects.count() == 7
    assert {ENGLAND, WALES} <= set(m.Country.objects.values_list("code", flat=True))
    assert m.PaediatricDiabetesUnit.objects.count() == 172
    assert m.PaediatricDiabetesNetwork.objects.count() == 12
    assert m.Trust.objects.count() == 242
    assert m.Organisation.objects.count() == 339


def test_every_english_unit_has_an_icb_and_its_region():
    english = m.PaediatricDiabetesUnit.objects.filter(country_id=ENGLAND)
    assert english.count() == 160
    assert not english.filter(integrated_care_board__isnull=True).exists()
    assert not english.filter(nhs_england_region__isnull=True).exists()
    mismatched = english.exclude(nhs_england_region=F("integrated_care_board__nhs_england_region"))
    assert not mismatched.exists()
    assert not english.filter(local_health_board__isnull=False).exists()


def test_every_welsh_unit_has_a_health_board_and_no_icb():
    welsh = m.PaediatricDiabetesUnit.objects.filter(country_id=WALES)
    assert welsh.count() == 11
    assert not welsh.filter(local_health_board__isnull=True).exists()
    assert not welsh.filter(integrated_care_board__isnull=False).exists()


def test_jersey_is_outside_the_england_and_wales_geography():
    jersey = m.PaediatricDiabetesUnit.objects.get(pz_code="PZ248")
    assert jersey.country_id is None and jersey.integrated_care_board_id is None
    assert jersey.paediatric_diabetes_network_id == "PN01"


def test_corrected_bridgend_parent_and_lead_organisations():
    bridgend = m.PaediatricDiabetesUnit.objects.get(pz_code="PZ092")
    assert bridgend.local_health_board.ods_code == "7A5"
    site_units = m.PaediatricDiabetesUnit.objects.filter(lead_level="site")
    assert site_units.count() == 153
    assert not site_units.filter(lead_organisation__isnull=True).exists()
    assert m.PaediatricDiabetesUnit.objects.get(pz_code="PZ024").trust_id == "RVV"


def test_all_geometries_are_valid_multipolygons_in_british_national_grid():
    for model in (m.Country, m.NHSEnglandRegion, m.IntegratedCareBoard, m.LocalHealthBoard):
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*), count(*) FILTER (WHERE ST_IsValid(boundary)), "
                f"min(ST_SRID(boundary)), max(ST_SRID(boundary)), "
                f"bool_and(GeometryType(boundary) = 'MULTIPOLYGON') FROM {table}"
            )
            total, valid, min_srid, max_srid, all_multi = cursor.fetchone()
        assert total == valid > 0, table
        assert min_srid == max_srid == 27700
        assert all_multi


def test_icbs_lie_in_their_regions_and_unit_points_in_their_icb():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT icb.code FROM npda_integratedcareboard icb "
            "JOIN npda_nhsenglandregion r ON r.code = icb.nhs_england_region_id "
            "WHERE ST_Area(ST_Intersection(icb.boundary, r.boundary)) "
            "    < 0.99 * ST_Area(icb.boundary)"
        )
        assert cursor.fetchall() == []
        cursor.execute(
            "SELECT u.pz_code FROM npda_paediatricdiabetesunit u "
            "JOIN npda_integratedcareboard icb ON icb.code = u.integrated_care_board_id "
            "WHERE u.point IS NOT NULL "
            "  AND NOT ST_Covers(icb.boundary, ST_Transform(u.point, 27700))"
        )
        assert cursor.fetchall() == []


def test_england_is_about_130_thousand_square_kilometres():
    england = m.Country.objects.get(code=ENGLAND)
    assert 128_000 < england.boundary.area / 1e6 < 132_000


def test_web_layers_are_cached_small_and_wgs84():
    layers = {layer.level: layer for layer in m.BoundaryLayer.objects.all()}
    assert set(layers) == set(BoundaryLevel)
    icb = layers[BoundaryLevel.INTEGRATED_CARE_BOARD]
    assert icb.feature_count == 42
    assert icb.size_bytes == len(icb.geojson.encode()) < 400 * 1024
    collection = json.loads(icb.geojson)
    assert {f["properties"]["code"] for f in collection["features"]} == set(
        m.IntegratedCareBoard.objects.values_list("code", flat=True)
    )
    assert all(set(f["properties"]) == {"code", "name"} for f in collection["features"])
    first_point = collection["features"][0]["geometry"]["coordinates"][0][0][0]
    assert -6 < first_point[0] < 2 and 49 < first_point[1] < 56
    assert gzip.decompress(bytes(icb.geojson_gzip)).decode() == icb.geojson


def test_boundary_layer_view_serves_the_cached_layer(client):
    url = reverse("boundary-layer", args=["icb"])
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert response["Content-Type"] == "application/geo+json"
    assert "max-age" in response["Cache-Control"]
    collection = json.loads(gzip.decompress(response.content))
    assert len(collection["features"]) == 42
    plain = client.get(url)
    assert "Content-Encoding" not in plain and len(json.loads(plain.content)["features"]) == 42
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert client.get(reverse("boundary-layer", args=["nowhere"])).status_code == 404


def test_second_load_is_idempotent(settings):
    before = {
        model: model.objects.count()
        for model in (m.PaediatricDiabetesUnit, m.Trust, m.Organisation, m.IntegratedCareBoard)
    }
    result = load_reference_data(settings.NPDA_REFERENCE_DATA, progress=lambda _: None)
    assert not result.skipped
    assert {model: model.objects.count() for model in before} == before
    assert all(stale == 0 for stale in result.not_in_source.values())
    skipped = load_reference_data(
        settings.NPDA_REFERENCE_DATA, skip_unchanged=True, progress=lambda _: None
    )
    assert skipped.skipped
