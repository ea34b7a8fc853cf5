"""The funnel page and its callback against PostGIS."""

import datetime as dt
import json

import pytest

from aggregation import selectors
from aggregation.releases import publish_release
from dashboards.callback_requests import FUNNEL_OUTPUTS
from tests.integration.conftest import dash_callback

pytestmark = pytest.mark.django_db


@pytest.fixture
def released(large_units):
    period, _ = large_units
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
