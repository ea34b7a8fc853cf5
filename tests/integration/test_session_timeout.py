"""Signed-in sessions end after 30 minutes idle or 12 hours in all, on the server."""

import json
import time

import pytest

from dashboards.callback_requests import TREND_OUTPUTS, location_request
from npda.accounts.middleware import LAST_SEEN, LOGIN_AT
from npda.data_model import models as m
from tests.factories import NPDAUserFactory

pytestmark = pytest.mark.django_db


def age(client, **seconds_ago) -> None:
    session = client.session
    for key, ago in seconds_ago.items():
        session[{"login": LOGIN_AT, "seen": LAST_SEEN}[key]] = time.time() - ago
    session.save()


def test_an_idle_session_ends_and_returns_to_the_page_after_logging_in(client):
    user = NPDAUserFactory()
    client.force_login(user)
    assert client.get("/units/").status_code == 200
    age(client, seen=29 * 60)
    assert client.get("/units/").status_code == 200  # 29 minutes: still signed in
    age(client, seen=31 * 60)
    response = client.get("/units/?unit=")
    assert (
        response.status_code == 302
        and response["Location"] == "/accounts/login/?next=%2Funits%2F%3Funit%3D"
    )
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "logged out after 30 minutes without activity" in page
    assert m.VisitActivity.objects.filter(
        user=user, activity=m.ActivityType.SESSION_EXPIRED
    ).exists()


def test_a_busy_session_still_ends_after_twelve_hours(client):
    client.force_login(NPDAUserFactory())
    age(client, login=12 * 3600 + 5, seen=10)
    assert client.get("/units/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_callback_after_the_session_ended_is_refused_not_redirected(client):
    client.force_login(NPDAUserFactory())
    age(client, seen=3600)
    body = json.dumps(location_request(TREND_OUTPUTS, "/units/PZ041/", ""))
    response = client.post("/django_plotly_dash/app/unit_profile/_dash-update-component", body,
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 403 and b"reload the page" in response.content
