"""The funnel page and its callback against PostGIS."""

import datetime as dt
import json

import pytest

from aggregation import selectors
from aggregation.releases import publish_release
from dashboards.callback_requests import FUNNEL_OUTPUTS
from tests.integration.conftest import dash_callback, make_large_units
from tests.worlds import world

pytestmark = pytest.mark.django_db


@pytest.fixture
def released():
    """Built once per test process (tests/worlds.py)."""
    return world("funnel release", _released)


def _released():
    period, _ = make_large_units()
    return publish_release(period, "final", today=dt.date(2026, 12, 1))


def callback(client, pathname: str, search: str) -> dict:
    return dash_callback(client, "funnel_explorer", FUNNEL_OUTPUTS, pathname, search)


def test_the_page_and_its_404s(client, released):
    assert client.get("/benchmarking/25/").status_code == 200
    assert client.get("/benchmarking/1/").status_code == 404  # a count has no funnel
    assert client.get("/benchmarking/99/").status_code == 404
    response = client.get("/benchmarking/?measure=44&unit=PZ041")
    assert response.status_code == 302 and response["Location"] == "/benchmarking/44/?unit=PZ041"


def test_the_callback_plots_every_unit_of_the_release(client, released):
    answer = callback(client, "/benchmarking/25/", "?unit=PZ041")
    figure = answer["funnel-plot"]["figure"]
    plotted = sum(len(t["x"]) for t in figure["data"] if t["name"].rstrip(")")[-1:].isdigit())
    points = selectors.funnel(released.pk, "25").points
    assert plotted == len(points) == 5
    assert any(t["name"].endswith("(chosen)") for t in figure["data"])
    table = json.dumps(answer["funnel-table"])
    assert all(f'data-code=\\"{p.area_code}\\"' in table for p in points)
    assert "format=csv" in json.dumps(answer["funnel-download"])


def test_bad_parts_get_messages_not_errors(client, released):
    answer = callback(client, "/benchmarking/25/", "?release=abc&limits=odd&unit=PZ999")
    problems = json.dumps(answer["funnel-problems"])
    assert "has no funnel plots" in problems and "Unknown limits" in problems
    assert "PZ999" in problems
    assert "There is no funnel plot" in json.dumps(
        callback(client, "/benchmarking/1/", "")["funnel-problems"]
    )


def test_units_not_on_the_plots_are_counted_named_and_explained(client, mixed_types):
    """PZ005's type 1 mean rests on 6 children: the page says how many units are not shown
    and why, lists it by name with the reason, and says why when it is the chosen unit."""
    period, _ = mixed_types
    release = publish_release(period, "final", today=dt.date(2026, 12, 1))
    answer = callback(client, "/benchmarking/44/", "?unit=PZ005")
    assert answer["funnel-not-shown"]["children"] == (
        "5 units shown. 1 unit not shown: fewer than 8 children (listed below the table)."
    )
    assert "44 Mean HbA1c" in answer["funnel-title"]["children"]
    assert "5 of 6 units" in answer["funnel-title"]["children"]
    table = answer["funnel-table"]["children"]["props"]["children"]
    missing = table[table.index('id="funnel-not-shown-units"') :]
    assert "1 unit not shown on the plots" in missing
    assert '<tr data-code="PZ005">' in missing and "<td>fewer than 8 children</td>" in missing
    assert "Derbyshire Children" in missing  # by name, linked to its page
    problems = json.dumps(answer["funnel-problems"])
    assert "Derbyshire Children's Hospital (PZ005) is not on these plots" in problems
    assert "withheld to protect confidentiality, because fewer than 8 children" in problems
    # A type 1 count hidden by secondary suppression (SDC-2): plotted, never labelled with n.
    shown = table[: table.index('id="funnel-not-shown-units"')]
    row = shown[shown.index('data-code="PZ041"') :]
    assert row.split("</tr>")[0].count('<td class="num">*</td>') == 1
    assert selectors.funnel(release.pk, "44").not_shown[0].area_code == "PZ005"


def test_every_unit_shown_is_said_too(client, released):
    answer = callback(client, "/benchmarking/25/", "")
    assert answer["funnel-not-shown"]["children"] == "All 5 units of the release are shown."
    table = answer["funnel-table"]["children"]["props"]["children"]
    assert 'id="funnel-table"' in table and 'id="funnel-not-shown-units"' not in table
