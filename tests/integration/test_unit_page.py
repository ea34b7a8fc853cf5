"""A unit's page and its callbacks against PostGIS: spine charts, comparators, trends, case mix,
peers, who may see live results, and 404s."""

import datetime as dt
import json
import re

import pytest

from aggregation import selectors
from aggregation.releases import publish_release
from constants.groups import GroupName
from constants.kpis import MEASURES
from dashboards.callback_requests import (
    CASE_MIX_OUTPUTS,
    FUNNEL_OUTPUTS,
    PEER_OUTPUTS,
    TREND_OUTPUTS,
    location_request,
)
from tests.factories import user_in_group
from tests.integration.conftest import dash_callback, make_large_units
from tests.worlds import world

pytestmark = pytest.mark.django_db
TREND, PEERS, CASE_MIX = TREND_OUTPUTS, PEER_OUTPUTS, CASE_MIX_OUTPUTS


@pytest.fixture
def released():
    """Built once per test process (tests/worlds.py)."""
    return world("unit page releases", _released)


def _released():
    period, _ = make_large_units()
    provisional = publish_release(period, "provisional", today=dt.date(2026, 12, 1))
    final = publish_release(period, "final", today=dt.date(2026, 12, 1))
    return period, provisional, final


def callback(client, outputs, pathname: str, search: str = "") -> dict:
    return dash_callback(client, "unit_profile", outputs, pathname, search)


def measure_rows(text: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-measure="([^"]+)"[^>]*>(.*?)</tr>\s*(?=<tr data|</tbody>)',
                           text, re.S))  # fmt: skip


def test_every_measure_with_its_interval_spine_and_comparators(client, released):
    _, _, final = released
    response = client.get("/units/PZ041/")
    assert response.status_code == 200
    text = response.content.decode()
    rows = measure_rows(text)
    assert list(rows) == [m.number for m in MEASURES]
    profile = selectors.unit_profile("PZ041", final.pk)
    kpi_25 = next(r for r in profile.rows if r.measure == "25")
    low, high = kpi_25.unit.ci95
    assert f"{kpi_25.unit.value:.1f}%" in rows["25"] and f"{low:.1f} to {high:.1f}" in rows["25"]
    assert f"{kpi_25.unit.numerator} of {kpi_25.unit.denominator}" in rows["25"]
    national = kpi_25.comparators["national"].value
    assert f"{national:.1f}%" in rows["25"]
    assert '<svg class="spine"' in rows["25"] and "5 units: lowest" in rows["25"]
    assert '<svg class="spine"' not in rows["1"]  # a count has no spine
    # Its areas one click away, each linking to its page in the same release.
    icb = selectors.unit_areas("PZ041")["icb"].code
    assert f'href="/areas/icb/{icb}/?measure=25&amp;release={final.pk}"' in rows["25"]
    assert "Population:" in rows["25"] and "<details>" in rows["25"]  # the definition


def test_unknown_units_are_404s_and_codes_any_case(client, released):
    assert client.get("/units/PZ999/").status_code == 404
    response = client.get("/units/pz041/?measure=25")
    assert response.status_code == 302 and response["Location"] == "/units/PZ041/?measure=25"
    assert client.get("/units/?unit=PZ999").status_code == 404
    assert client.get("/units/?unit=pz041")["Location"] == "/units/PZ041/"
    index = client.get("/units/").content.decode()
    assert 'href="/units/PZ041/"' in index and 'href="/units/PZ001/"' in index


def test_releases_and_live_results_follow_the_role(client, released):
    period, provisional, final = released
    # The public: final releases; a provisional id or live results fall back with a message.
    text = client.get(f"/units/PZ041/?release={provisional.pk}").content.decode()
    assert "is not available to you" in text and f"release {final.pk}," in text
    text = client.get("/units/PZ041/?release=live-2024").content.decode()
    assert "is not available to you" in text and "Incomplete" not in text
    # A unit's own staff see its live results, with the children still able to pass.
    client.force_login(user_in_group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, ["PZ041"]))
    year = period.start_date.year
    text = client.get(f"/units/PZ041/?release=live-{year}").content.decode()
    assert "live results: not published" in text and '<td class="num incomplete">' in text
    live = selectors.live_unit_results(
        user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY), period, "PZ041"
    )
    assert f"{live['25'].value:.1f}%" in measure_rows(text)["25"]
    national = selectors.live_national_results(user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY),
                                               period)["25"]  # fmt: skip
    assert f"{national.value:.1f}%" not in measure_rows(text)["25"]  # the audit team's to read
    client.force_login(user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY))
    text = client.get(f"/units/PZ041/?release=live-{year}").content.decode()
    assert f"{national.value:.1f}%" in measure_rows(text)["25"]
    client.force_login(user_in_group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, ["PZ041"]))
    # ... but not another unit's.
    text = client.get(f"/units/PZ002/?release=live-{year}").content.decode()
    assert "is not available to you" in text and "Incomplete" not in text


def test_the_trend_callback_draws_every_final_year_and_the_quarters(client, released):
    answer = callback(client, TREND, "/units/PZ041/", "?measure=25")
    assert answer["trend-title"]["children"] == "25 HbA1c: trend"
    national, unit = answer["trend-years"]["figure"]["data"]
    assert national["y"] == [selectors.trend("national", "EW", "25").years[0].result.value]
    trend = selectors.trend("pdu", "PZ041", "25")
    assert len(unit["x"]) == len(trend.years) == 1
    assert unit["y"] == [trend.years[0].result.value]
    assert unit["error_y"]["array"][0] == pytest.approx(
        trend.years[0].result.ci95[1] - trend.years[0].result.value
    )
    quarters = answer["trend-quarters"]["figure"]["data"][1]
    assert len(quarters["x"]) == 1 and quarters["x"][0].endswith("Q4")
    tables = json.dumps(answer["trend-tables"])
    assert "trend-years-table" in tables and "trend-quarters-table" in tables


def test_the_case_mix_and_peer_callbacks(client, released):
    _, _, final = released
    answer = callback(client, CASE_MIX, "/units/PZ041/")
    figure = answer["case-mix"]["figure"]
    assert [t["name"] for t in figure["data"]] == ["England and Wales", "Addenbrooke's Hospital"]
    assert answer["case-mix"]["style"]["height"] == f"{figure['layout']['height']}px"
    assert "case-mix-table" in json.dumps(answer["case-mix-table-holder"])
    answer = callback(client, PEERS, "/units/PZ041/", "?measure=25")
    table = json.dumps(answer["peers-table-holder"])
    codes = re.findall(r'data-code=\\"(PZ\d+)\\"', table)
    assert codes[0] == "PZ041" and sorted(codes[1:]) == ["PZ001", "PZ002", "PZ003", "PZ004"]
    assert codes[1:] == [p.area.code for p in selectors.unit_peers(final.pk, "PZ041").peers]
    assert 'href=\\"/units/PZ002/?measure=25\\"' in table


def test_callbacks_answer_bad_input_with_messages(client, released):
    answer = callback(client, TREND, "/units/PZ999/")
    assert "There is no unit PZ999" in json.dumps(answer["trend-problems"])
    answer = callback(client, TREND, "/units/PZ041/", "?measure=99&release=live-2024")
    problems = json.dumps(answer["trend-problems"])
    assert "no measure '99'" in problems and "is not available to you" in problems
    answer = callback(client, CASE_MIX, "/units/PZ999/")
    assert "There is no unit PZ999" in json.dumps(answer["case-mix-table-holder"])


def test_the_funnel_table_and_its_chosen_unit_link_to_unit_pages(client, released):
    _, _, final = released
    funnel = dash_callback(
        client, "funnel_explorer", FUNNEL_OUTPUTS, "/benchmarking/25/", "?unit=PZ041"
    )
    assert f"/units/PZ041/?release={final.pk}&amp;measure=25" in json.dumps(funnel)


def test_crafted_callback_arguments_are_refused_with_a_reason(client, released):
    # Issue 19: a value of the wrong type never reaches the callback (it was a 200 before).
    body = json.dumps(location_request(TREND_OUTPUTS, 12345, ["?release=live-2024"]))
    response = client.post(
        "/django_plotly_dash/app/unit_profile/_dash-update-component", body,
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "url.pathname must be text" in response.content.decode()


def test_peer_links_from_live_results_lead_to_published_pages(client, released):
    period, _, _ = released
    client.force_login(user_in_group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, ["PZ041"]))
    search = f"?release=live-{period.start_date.year}&measure=25"
    table = json.dumps(callback(client, PEERS, "/units/PZ041/", search)["peers-table-holder"])
    assert "live-" not in table and 'href=\\"/units/PZ002/?measure=25\\"' in table


def test_without_a_final_release_the_page_falls_back_or_says_so(client, large_units):
    period, _ = large_units
    provisional = publish_release(period, "provisional", today=dt.date(2026, 12, 1))
    response = client.get("/units/PZ041/")
    assert response.status_code == 404
    assert "no published results yet" in response.content.decode()
    client.force_login(user_in_group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, ["PZ002"]))
    text = client.get("/units/PZ041/").content.decode()
    assert f"showing {provisional.pk}" in text and f"(release {provisional.pk}," in text


def test_the_404_page_says_what_is_missing(client, released):
    text = client.get("/units/PZ999/").content.decode()
    assert "There is no unit PZ999." in text and "<h1>Page not found</h1>" in text
    text = client.get("/no/such/page/").content.decode()
    assert "There is no page at this address." in text and "Resolver404" not in text


def test_a_worker_warms_the_peer_and_shape_caches(released):
    from aggregation.selectors import _peer_features
    from npda.pages.warmup import warm_caches

    _peer_features.cache_clear()
    assert warm_caches() >= 0
    assert _peer_features.cache_info().currsize == 1  # the latest final release's
