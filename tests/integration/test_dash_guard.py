"""django-plotly-dash's endpoints answer bad or unknown requests with 4xx, never a 500, and an
anonymous caller never writes to the database."""

import json

import pytest
from django.db import connection
from django_plotly_dash.dash_wrapper import usable_apps
from django_plotly_dash.models import StatelessApp

from dashboards.callback_requests import TREND_OUTPUTS, location_request

pytestmark = pytest.mark.django_db
APP = "/django_plotly_dash/app"


def test_every_registered_app_has_its_row_before_anyone_visits():
    assert set(usable_apps) <= set(StatelessApp.objects.values_list("app_name", flat=True))


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    [
        ("get", f"{APP}/nosuch/", None, 404),
        ("get", f"{APP}/nosuch/_dash-layout", None, 404),
        ("post", f"{APP}/nosuch/_dash-update-component", "{}", 404),
        ("get", "/django_plotly_dash/instance/nosuch/_dash-layout", None, 404),
        ("get", "/django_plotly_dash/add_stateless_apps", None, 404),
        ("get", f"{APP}/map_explorer/_dash-routes", None, 404),
        ("get", f"{APP}/map_explorer/_dash-update-component", None, 400),
        ("post", f"{APP}/map_explorer/_dash-update-component", "not json", 400),
        ("post", f"{APP}/map_explorer/_dash-update-component", "[]", 400),
        ("post", f"{APP}/map_explorer/_dash-update-component", "{}", 400),
        ("post", f"{APP}/map_explorer/_dash-update-component",
         json.dumps({"output": "x.y", "outputs": {}, "inputs": []}), 400),
        ("post", f"{APP}/unit_profile/_dash-update-component",
         json.dumps({**location_request(TREND_OUTPUTS, "/units/PZ041/", ""), "inputs": "x"}), 400),
        ("post", f"{APP}/map_explorer/_dash-layout", "{}", 405),
    ],
)  # fmt: skip
def test_bad_requests_are_refused_and_write_nothing(client, method, url, body, status):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_plotly_dash_statelessapp")
        apps_before = cursor.fetchone()[0]
    call = getattr(client, method)
    response = call(url, body, content_type="application/json") if body else call(url)
    assert response.status_code == status
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_plotly_dash_statelessapp")
        assert cursor.fetchone()[0] == apps_before
        cursor.execute("SELECT count(*) FROM django_session")
        assert cursor.fetchone()[0] == 0  # no session made for an anonymous caller


def test_a_good_anonymous_callback_still_answers(client):
    body = json.dumps(location_request(TREND_OUTPUTS, "/units/PZ999/", ""))
    response = client.post(f"{APP}/unit_profile/_dash-update-component", body,
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 200 and b"There is no unit PZ999" in response.content
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_session")
        assert cursor.fetchone()[0] == 0  # an anonymous callback writes no session
