"""Area pages: every measure beside England and Wales, the units ranked, the tree, 404s."""

import datetime as dt
import re

import pytest

from aggregation import selectors
from aggregation.releases import publish_release
from constants.groups import GroupName
from dashboards.map_data import map_view
from tests.factories import user_in_group
from tests.integration.conftest import make_large_units
from tests.worlds import world

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 1)
EAST_OF_ENGLAND, ENGLAND = "E40000007", "E92000001"


@pytest.fixture
def released():
    """Built once per test process (tests/worlds.py)."""
    return world("area pages release", _released)


def _released():
    period, _ = make_large_units()
    return period, publish_release(period, "final", today=TODAY)


def rows_of(html: str, table_id: str) -> list[str]:
    table = html.split(f'id="{table_id}"')[1].split("</table>")[0]
    return re.findall(r'<tr data-code="([^"]+)"', table)


def test_a_region_page_shows_every_measure_and_its_units_ranked(client, released):
    _, final = released
    response = client.get(f"/areas/region/{EAST_OF_ENGLAND}/?measure=25")
    assert response.status_code == 200
    text = response.content.decode()
    assert "<h1>East of England</h1>" in text
    results = selectors.area_results(final.pk, "pdu", "25")
    east = sorted((r for r in results if r.area_code in {"PZ041", "PZ002"}),
                  key=lambda r: -r.value)  # fmt: skip
    assert rows_of(text, "units-table") == [r.area_code for r in east]
    own = {r.measure: r for r in selectors.release_results(final.pk, level="region",
                                                           code=EAST_OF_ENGLAND)}  # fmt: skip
    assert f"{own['25'].value:.1f}%" in text  # the headline value as published
    assert text.count("<tr data-measure=") == len(own)  # one row per published measure
    assert f'href="/areas/country/{ENGLAND}/?release={final.pk}&amp;measure=25"' in text
    assert re.search(r'<svg [^>]*role="img"', text) and text.count("<circle") == 2
    assert "Open Government Licence" in text and "SDC-2" in text


def test_the_national_and_network_pages(client, released):
    assert client.get("/areas/national/EW/").status_code == 200
    network = selectors.unit_areas("PZ041")["network"].code
    text = client.get(f"/areas/network/{network}/?measure=25").content.decode()
    assert "PZ041" in rows_of(text, "units-table")


@pytest.mark.parametrize(
    "url",
    [
        "/areas/ward/E05000001/",
        "/areas/icb/E99999999/",
        f"/areas/region/{EAST_OF_ENGLAND}/?measure=99",
        f"/areas/region/{EAST_OF_ENGLAND}/?release=999999",
        f"/areas/region/{EAST_OF_ENGLAND}/?release=abc",
    ],
)
def test_unknown_areas_measures_and_releases_are_404(client, released, url):
    assert client.get(url).status_code == 404


def test_provisional_releases_are_for_signed_in_users(client, released):
    period, _ = released
    provisional = publish_release(period, "provisional", as_at=dt.date(2024, 9, 30), today=TODAY)
    url = f"/areas/region/{EAST_OF_ENGLAND}/?release={provisional.pk}"
    assert client.get(url).status_code == 404
    client.force_login(user_in_group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, units=("PZ041",)))
    assert client.get(url).status_code == 200


def test_the_map_table_links_each_area_to_its_page(released):
    _, final = released
    view = map_view("?level=region&measure=41", None)
    assert {row.page_url for row in view.rows} == {
        f"/areas/region/{r.area_code}/?release={final.pk}&measure=41" for r in view.results
    }
    units = map_view("?level=pdu&measure=41", None)
    assert {row.page_url for row in units.rows} == {
        f"/units/{r.area_code}/?release={final.pk}&measure=41" for r in units.results
    }


def test_units_are_ranked_best_first_and_those_not_shown_are_named_with_why(client, mixed_types):
    """Mean HbA1c: lower is better, so rank 1 is the lowest; PZ005 (6 children) has no rank
    and says why. England and Wales' page holds all six units."""
    period, _ = mixed_types
    final = publish_release(period, "final", today=TODAY)
    text = client.get(f"/areas/national/EW/?measure=44&release={final.pk}").content.decode()
    published = [r for r in selectors.area_results(final.pk, "pdu", "44") if r.value is not None]
    lowest_first = [r.area_code for r in sorted(published, key=lambda r: r.value)]
    assert rows_of(text, "units-table") == [*lowest_first, "PZ005"]
    table = text.split('id="units-table"')[1].split("</table>")[0]
    assert '<th scope="col">Rank (1 = best)</th>' in table
    assert "best first: lower is better, so rank 1 has the lowest value" in table
    assert "1 unit not shown: fewer than 8 children. They are listed last" in table
    last = table.split('data-code="PZ005"')[1].split("</tr>")[0]
    assert '<td class="num">–</td>' in last and "Not shown: fewer than 8 children" in last
    first = table.split(f'data-code="{lowest_first[0]}"')[1].split("</tr>")[0]
    assert '<td class="num">1</td>' in first


def test_where_higher_is_better_rank_1_is_the_highest_value(client, released):
    _, final = released
    text = client.get("/areas/national/EW/?measure=25").content.decode()
    rates = sorted(selectors.area_results(final.pk, "pdu", "25"), key=lambda r: -r.value)
    assert rows_of(text, "units-table") == [r.area_code for r in rates]  # PZ004's 90% first
    assert "best first: higher is better, so rank 1 has the highest value" in text
    assert "All 5 units shown." in text


def test_the_map_says_how_many_areas_are_not_shown_and_why(mixed_types):
    period, _ = mixed_types
    publish_release(period, "final", today=TODAY)
    view = map_view("?level=pdu&measure=44", None)
    assert view.not_shown == "1 unit not shown: fewer than 8 children."
    assert any("They are grey on the map and named in the table" in n for n in view.notes)
    row = next(r for r in view.rows if r.code == "PZ005")
    assert (row.value, row.comparison) == ("*", "Not shown: fewer than 8 children")
