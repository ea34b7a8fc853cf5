"""The open data API: contract of every endpoint, every bad-input case, caching headers, and
that an anonymous caller only ever sees disclosure-controlled rows of published releases."""

import csv
import datetime as dt
import io
import json

import pytest
from django.test import Client

from aggregation.models import Release, ReleaseAggregate
from aggregation.releases import publish_release
from constants.kpis import MEASURES
from npda.api.views import AggregateOut
from npda.data_model import models as m
from tests.integration.conftest import make_large_units
from tests.kpi_cohort import d
from tests.worlds import world

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 1)
API = "/api/v1"


@pytest.fixture
def client():
    return Client()  # anonymous


@pytest.fixture
def published():
    """Built once per test process (tests/worlds.py)."""
    return world("api releases", _published)


def _published():
    period, units = make_large_units()
    provisional = publish_release(period, "provisional", as_at=d("2024-09-30"), today=TODAY)
    final = publish_release(period, "final", today=TODAY)
    return final, provisional, units


def get_json(client, path, status=200, **headers):
    response = client.get(API + path, **headers)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == status, content[:300]
    assert response["ETag"] and response["Cache-Control"]
    return json.loads(content) if content else None


def test_releases_lists_every_release_with_its_versions(client, published):
    final, provisional, _ = published
    body = get_json(client, "/releases")
    assert [r["id"] for r in body] == [final.pk, provisional.pk]
    assert body[0] | {} == body[0] and body[0]["kind"] == "final"
    assert body[0]["disclosure_policy"] == "SDC-2" and body[0]["period"] == "2024-2025"
    assert body[0]["method_version"] and body[0]["outlier_policy_version"].startswith("OP-")
    assert body[1]["calculation_date"] == "2024-09-30" and body[1]["benchmarked"] is False
    assert isinstance(body[0]["suppression_summary"], dict)
    assert get_json(client, f"/releases/{provisional.pk}")["label"] == (
        "2024-25 provisional, as at 30 Sep 2024"
    )
    assert get_json(client, "/releases/latest")["id"] == final.pk


def test_measures_carry_definitions_polarity_and_population(client):
    body = get_json(client, "/measures")
    assert [r["number"] for r in body] == [m_.number for m_ in MEASURES]
    hba1c = next(r for r in body if r["number"] == "25")
    assert hba1c["name"] == "HbA1c" and hba1c["polarity"] == "up" and hba1c["population"] == "P5"
    assert "complete year of care" in hba1c["definition"] and hba1c["unit"] == "%"
    assert "sex" in hba1c["breakdowns"]
    assert next(r for r in body if r["number"] == "44")["formal_outlier_measure"] is True


def test_breakdowns_list_their_categories(client):
    body = {b["key"]: b for b in get_json(client, "/breakdowns")}
    assert [c["code"] for c in body["sex"]["categories"]][-1] == "not_recorded"
    assert body["quarter"]["measures"] == ["2", "9", "46", "47"] and body["quarter"]["additive"]


def test_areas_of_a_level_with_their_parents(client, published):
    icbs = get_json(client, "/areas?level=icb")
    assert len(icbs) == 4  # the ICBs of the release's four English units
    assert all(a["parent_level"] == "region" and a["parent_code"].startswith("E40") for a in icbs)
    units = {a["code"]: a for a in get_json(client, "/areas?level=pdu")}
    assert units["PZ001"]["parent_level"] == "lhb" and set(units) == {
        "PZ041", "PZ002", "PZ004", "PZ003", "PZ001"
    }  # fmt: skip
    everything = get_json(client, "/areas")
    assert {a["level"] for a in everything} >= {"pdu", "icb", "region", "country", "national"}


def test_areas_without_a_release_are_todays_geography(client):
    assert len(get_json(client, "/areas?level=icb")) == 42


def test_aggregates_of_a_level_and_measure(client, published):
    final, _, _ = published
    body = get_json(client, "/aggregates?level=pdu&measure=25&release=latest")
    assert body["release"]["id"] == final.pk and body["disclosure_policy"] == "SDC-2"
    assert "Counts of 1 to 7 are shown as *" in body["footnote"]
    rows = {r["area_code"]: r for r in body["rows"]}
    assert set(rows) == {"PZ041", "PZ002", "PZ004", "PZ003", "PZ001"}
    unit = rows["PZ004"]
    stored = ReleaseAggregate.objects.get(
        release=final, level="pdu", area_code="PZ004", measure_id="25", breakdown=""
    )
    assert (unit["numerator"], unit["denominator"], unit["value"]) == (35, 40, 90.0)
    assert unit["ci95_low"] == stored.ci95_low and unit["comparison"] == "better"
    assert unit["area_name"] == "Northampton General Hospital" and unit["parent_level"] == "icb"
    assert unit["outlier"] in ("within", "alert", "alarm") and unit["funnel_n"] == 40
    assert unit["release_id"] == final.pk and unit["unit"] == "%"
    assert set(unit) == set(AggregateOut.model_fields)  # the rows are what the schema says
    by_id = get_json(client, f"/aggregates?level=pdu&measure=25&release={final.pk}")
    assert by_id["rows"] == body["rows"]


def test_aggregates_of_a_breakdown(client, published):
    rows = get_json(client, "/aggregates?level=national&measure=25&breakdown=sex")["rows"]
    assert {r["category"]: r["numerator"] for r in rows}["2"] == 20


def test_everything_at_once_is_streamed_in_json_and_csv(client, published):
    final, _, _ = published
    response = client.get(API + "/aggregates")
    assert response.streaming and response.status_code == 200
    body = json.loads(b"".join(response.streaming_content))
    totals = ReleaseAggregate.objects.filter(release=final, breakdown="").count()
    assert len(body["rows"]) == totals and {r["breakdown"] for r in body["rows"]} == {""}
    response = client.get(API + "/aggregates?format=csv&breakdown=all")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeffrelease_id,period,")
    assert len(text.splitlines()) - 1 == final.rows


def test_csv_is_tidy_and_matches_the_json(client, published):
    response = client.get(API + "/aggregates?level=pdu&measure=25&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="npda-release-' in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    as_json = get_json(client, "/aggregates?level=pdu&measure=25")["rows"]
    assert [r["area_code"] for r in rows] == [r["area_code"] for r in as_json]
    for row, record in zip(rows, as_json, strict=True):
        assert (
            row["numerator"] == str(record["numerator"]) and float(row["value"]) == record["value"]
        )
        assert row["measure_name"] == "HbA1c" and row["disclosure_policy"] == "SDC-2"


def test_csv_text_is_formula_safe(client, published):
    m.PaediatricDiabetesUnit.objects.filter(pz_code="PZ041").update(name="=HYPERLINK(1)")
    release = publish_release(
        m.AuditPeriod.objects.get(start_date__year=2024), "final", today=TODAY
    )
    text = client.get(API + f"/aggregates?level=pdu&measure=1&format=csv&release={release.pk}")
    assert "'=HYPERLINK(1)" in text.content.decode("utf-8")


def test_suppressed_values_are_never_served(client, five_units):
    period, _ = five_units
    publish_release(period, "final", today=TODAY)
    row = next(
        r
        for r in get_json(client, "/aggregates?level=pdu&measure=25")["rows"]
        if r["area_code"] == "PZ002"
    )  # 1 of 2 children
    assert (row["numerator"], row["value"], row["ci95_low"], row["numerator_suppressed"]) == (
        None, None, None, True
    )  # fmt: skip
    assert row["value_note"] == "suppressed – small number"
    text = client.get(API + "/aggregates?level=pdu&measure=25&format=csv").content.decode()
    line = next(line for line in text.splitlines() if ",PZ002," in line)
    assert ",*,2," not in line and ",*," in line
    for body in (get_json(client, "/aggregates"), get_json(client, "/releases")):
        assert "true_value" not in json.dumps(body)
    summary = get_json(client, "/releases")[0]["suppression_summary"]  # cells by reason, level
    assert summary["primary_small_count"]["pdu"] > 0 and summary["secondary"]


def test_live_results_are_not_reachable(client, large_units):
    """Live results exist, but without a release there is nothing to serve."""
    assert m.PDUKPIAggregation.objects.exists() and not Release.objects.exists()
    body = get_json(client, "/aggregates?level=pdu&measure=25", status=400)
    assert body["parameter"] == "release" and "no final release" in body["message"]
    for attempt in ("release=live", "release=0", "release=-1"):
        assert get_json(client, f"/aggregates?level=pdu&measure=25&{attempt}", 400)


def test_no_identifier_reaches_any_output(client, published):
    identifiers = set()
    for patient in m.Patient.objects.all():
        identifiers |= {patient.nhs_number, patient.postcode, patient.date_of_birth.isoformat(),
                        patient.date_of_birth.strftime("%d/%m/%Y")}  # fmt: skip
    identifiers.discard(None)
    outputs = [
        client.get(API + path)
        for path in ("/releases", "/measures", "/breakdowns", "/areas",
                     "/aggregates?breakdown=all", "/aggregates?breakdown=all&format=csv")
    ]  # fmt: skip
    for response in outputs:
        text = (
            b"".join(response.streaming_content) if response.streaming else response.content
        ).decode("utf-8")
        assert not [i for i in identifiers if i and i in text]


@pytest.mark.parametrize(
    ("query", "parameter", "accepted"),
    [
        ("/aggregates?level=postcode", "level", "icb"),
        ("/aggregates?measure=50", "measure", "32.1"),
        ("/aggregates?release=first", "release", "latest"),
        ("/aggregates?release=99999", "release", "latest"),
        ("/aggregates?format=xml", "format", "csv"),
        ("/aggregates?breakdown=shoe_size", "breakdown", "sex"),
        ("/aggregates?lvl=icb", "lvl", "level"),
        ("/aggregates?level=icb&level=pdu", "level", "measure"),
        ("/aggregates?level=" + "x" * 500, "level", None),
        ("/areas?level=street", "level", "pdu"),
        ("/areas?release=latest&bogus=1", "bogus", "release"),
        ("/releases/not-a-number", "release", "latest"),
        ("/releases?x=1", "x", None),
        ("/measures?number=1", "number", None),
    ],
)
def test_bad_input_gets_400_naming_the_parameter(client, published, query, parameter, accepted):
    body = get_json(client, query, status=400)
    assert body["parameter"] == parameter and body["error"] == "bad request" and body["message"]
    if accepted:
        assert accepted in body["accepted"]
    assert len(json.dumps(body)) < 2000  # a long bad value is not echoed back


def test_an_answer_is_kept_and_served_again_without_a_query(client, published):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = client.get(API + "/aggregates?level=icb&measure=25")
    with CaptureQueriesContext(connection) as queries:
        again = client.get(API + "/aggregates?level=icb&measure=25")
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert len(queries) == 1  # resolving "latest" only
    assert again["Content-Type"] == "application/json"


def test_etags_answer_304_and_change_with_a_new_release(client, published):
    final, _, _ = published
    first = client.get(API + "/aggregates?level=icb&measure=25")
    assert first["Cache-Control"].startswith("public")
    again = client.get(API + "/aggregates?level=icb&measure=25", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"] and not again.content
    publish_release(final.audit_period, "final", today=TODAY)
    changed = client.get(API + "/aggregates?level=icb&measure=25", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    listed = client.get(API + "/releases")
    assert client.get(API + "/releases", HTTP_IF_NONE_MATCH=listed["ETag"]).status_code == 304


def test_the_schema_and_the_docs_page(client):
    schema = get_json(client, "/openapi.json")
    assert {"/api/v1/releases", "/api/v1/measures", "/api/v1/areas", "/api/v1/aggregates"} <= set(
        schema["paths"]
    )
    parameters = {p["name"] for p in schema["paths"]["/api/v1/aggregates"]["get"]["parameters"]}
    assert parameters == {"level", "measure", "release", "breakdown", "parent", "format"}
    docs = client.get(API + "/docs")  # our own page from the schema (npda.api.docs), no script
    text = docs.content.decode()
    assert docs.status_code == 200 and '<html lang="en-GB">' in text and "<script" not in text
    for path in schema["paths"]:
        assert f'<code class="endpoint-path">{path}</code>' in text
    assert "cdn." not in text and docs["Cache-Control"]  # offline; cached like the API


def test_the_api_is_read_only(client):
    assert client.post(API + "/releases").status_code == 405


def test_each_measure_says_how_the_2026_dataset_changes_it(client):
    body = {r["number"]: r for r in get_json(client, "/measures")}
    assert body["21"]["dataset_changes"] == [
        {
            "measure": "21",
            "dataset_year": 2026,
            "collected": False,
            "comparable_with_earlier_years": False,
            "note": "Not collected from 2026–27: the 2026 dataset does not record flash glucose "
            "monitoring.",
            "name": "",
        }
    ]
    assert body["22"]["dataset_changes"][0]["name"] == "Any CGM (all types)"
    for number in ("22", "23"):
        (change,) = body[number]["dataset_changes"]
        assert change["collected"] and not change["comparable_with_earlier_years"]
    assert body["25"]["dataset_changes"] == []


def test_a_2026_release_names_its_dataset_and_publishes_21_as_not_collected(client, published):
    from tests.kpi_cohort import Cohort

    final_2024, _, _ = published
    cohort = Cohort(year=2026)
    for _ in range(12):
        cohort.child(
            rows=({"visit_date": "2026-05-01", "cgm_use": 1, "insulin_regimen": 5,
                   "non_insulin_medication": 1},)
        )  # fmt: skip
    release = publish_release(cohort.period, "provisional", as_at=d("2026-09-30"), today=TODAY)
    record = get_json(client, f"/releases/{release.pk}")
    assert record["dataset_year"] == 2026
    assert [c["measure"] for c in record["measure_changes"]] == ["21", "22", "23"]
    assert get_json(client, f"/releases/{final_2024.pk}")["dataset_year"] == 2021
    assert get_json(client, f"/releases/{final_2024.pk}")["measure_changes"] == []
    rows = get_json(client, f"/aggregates?level=national&measure=21&release={release.pk}")["rows"]
    assert [(r["numerator"], r["denominator"], r["value"], r["value_note"]) for r in rows] == [
        (None, None, None, "not collected from 2026–27")
    ]
    cgm = get_json(client, f"/aggregates?level=national&measure=22&release={release.pk}")["rows"]
    assert cgm[0]["value"] == 100.0 and cgm[0]["numerator"] == 12  # any CGM, all 12
    text = client.get(API + f"/aggregates?level=pdu&measure=21&release={release.pk}&format=csv")
    assert "not collected from 2026–27" in text.content.decode("utf-8-sig")
