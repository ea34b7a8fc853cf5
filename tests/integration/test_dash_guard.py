"""django-plotly-dash's endpoints answer bad or unknown requests with 4xx, never a 500, and an
anonymous caller never writes to the database. A callback body is checked against the app's
declared callbacks (ids, properties, value types, sizes) before Dash sees it (issue 19)."""

import json

import pytest
from django.db import connection
from django_plotly_dash.dash_wrapper import usable_apps
from django_plotly_dash.models import StatelessApp

from dashboards.callback_requests import TREND_OUTPUTS, location_request
from tests.bad_requests import (
    APPS_WITHOUT_CALLBACKS,
    DASH_APPS,
    bad_callback_bodies,
    expected_reason,
    good_callback_body,
)

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
    apps_before = app_rows()
    call = getattr(client, method)
    response = call(url, body, content_type="application/json") if body else call(url)
    assert response.status_code == status
    assert app_rows() == apps_before
    assert session_rows() == 0  # no session made for an anonymous caller


@pytest.mark.parametrize(
    ("app", "bad"),
    [pytest.param(app, bad, id=f"{app}: {bad.name}")
     for app in DASH_APPS for bad in bad_callback_bodies(app)],
)  # fmt: skip
def test_bad_callback_bodies_are_refused_with_a_short_reason_and_write_nothing(client, app, bad):
    apps_before = app_rows()
    response = client.post(f"{APP}/{app}/_dash-update-component", bad.body,
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 400
    reason = response.content.decode()
    assert expected_reason(app, bad) in reason and len(reason) <= 120, reason
    assert response["Content-Type"].startswith("text/plain")
    assert app_rows() == apps_before
    assert session_rows() == 0


@pytest.mark.parametrize("app", [app for app in DASH_APPS if app not in APPS_WITHOUT_CALLBACKS])
def test_each_apps_own_callback_body_passes_the_guard(client, app):
    body = json.dumps(good_callback_body(app))
    response = client.post(f"{APP}/{app}/_dash-update-component", body,
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 200, response.content[:200]


def test_the_maps_first_callback_without_a_shown_place_passes_the_guard(client):
    """On the first call the browser leaves out the empty store's value, and Dash 3 adds
    parsedChangedPropsIds: both as the page sends them."""
    body = good_callback_body("map_explorer")
    body["state"] = [{"id": "shown-place", "property": "data"}]
    body["parsedChangedPropsIds"] = ["url.search"]
    response = client.post(f"{APP}/map_explorer/_dash-update-component", json.dumps(body),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 200, response.content[:200]


def test_every_declared_input_and_state_has_its_accepted_types():
    """A new callback input or state needs its entry in the guard's table, else every request to
    the callback is refused: this fails first."""
    from npda.accounts.dash_guard import CALLBACK_VALUE_TYPES, _dash_callbacks_by_app

    declared = {
        pair
        for callbacks in _dash_callbacks_by_app().values()
        for callback in callbacks.values()
        for pair in callback.inputs + callback.state
    }
    assert declared and declared <= set(CALLBACK_VALUE_TYPES)


def test_a_good_anonymous_callback_still_answers(client):
    body = json.dumps(location_request(TREND_OUTPUTS, "/units/PZ999/", ""))
    response = client.post(f"{APP}/unit_profile/_dash-update-component", body,
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 200 and b"There is no unit PZ999" in response.content
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_session")
        assert cursor.fetchone()[0] == 0  # an anonymous callback writes no session


def app_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_plotly_dash_statelessapp")
        return cursor.fetchone()[0]


def session_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_session")
        return cursor.fetchone()[0]
