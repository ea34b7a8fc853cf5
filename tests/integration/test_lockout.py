"""Lockout after repeated failed logins (django-axes), per account and per address, on the site
and the admin, with the wait shown and every lockout in the audit trail."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from npda import models as m
from npda.auth import minutes_to_wait
from tests.factories import NPDAUserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password"


def attempt(client, email: str, password: str = "wrong", ip: str = "10.0.0.1", url=None):
    return client.post(url or reverse("login"), {"username": email, "password": password},
                       REMOTE_ADDR=ip)  # fmt: skip


def test_five_failures_lock_the_account_even_against_the_right_password(client):
    user = NPDAUserFactory(email="lead@unit.nhs.uk")
    for i in range(4):
        typed = "Lead@Unit.NHS.uk" if i % 2 else "lead@unit.nhs.uk"  # the case does not help
        assert attempt(client, typed, ip=f"10.0.0.{i + 1}").status_code == 200
    assert attempt(client, "LEAD@unit.nhs.uk", ip="10.0.0.5").status_code == 429  # the fifth
    response = attempt(client, "lead@unit.nhs.uk", PASSWORD, ip="10.0.0.99")
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    text = response.content.decode()
    assert "Try again in 15 minutes" in text and "After 5 failed attempts" in text
    assert m.VisitActivity.objects.filter(user=user, activity=m.ActivityType.LOCKED_OUT).exists()
    # Another account from a fresh address is not affected.
    NPDAUserFactory(email="nurse@unit.nhs.uk")
    assert attempt(client, "nurse@unit.nhs.uk", PASSWORD, ip="10.0.1.1").status_code == 302


def test_five_failures_from_one_address_lock_that_address(client):
    NPDAUserFactory(email="nurse@unit.nhs.uk")
    for i in range(5):
        attempt(client, f"guess{i}@example.com", ip="192.0.2.7")
    assert attempt(client, "nurse@unit.nhs.uk", PASSWORD, ip="192.0.2.7").status_code == 429
    assert attempt(client, "nurse@unit.nhs.uk", PASSWORD, ip="192.0.2.8").status_code == 302
    locked = m.VisitActivity.objects.filter(activity=m.ActivityType.LOCKED_OUT)
    assert locked.exists() and all(a.ip_address == "192.0.2.7" for a in locked)


def test_the_admin_login_is_locked_too(client):
    NPDAUserFactory(email="admin@rcpch.ac.uk", is_staff=True)
    url = reverse("admin:login")
    for _ in range(5):
        attempt(client, "admin@rcpch.ac.uk", url=url, ip="10.2.0.1")
    assert attempt(client, "admin@rcpch.ac.uk", PASSWORD, ip="10.2.0.2", url=url).status_code == 429


def test_the_lockout_ends_after_the_cool_off_and_shows_the_time_left(client):
    NPDAUserFactory(email="lead@unit.nhs.uk")
    for _ in range(5):
        attempt(client, "lead@unit.nhs.uk")
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=13))
    assert minutes_to_wait("lead@unit.nhs.uk", "10.0.0.1") == 2
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    assert attempt(client, "lead@unit.nhs.uk", PASSWORD).status_code == 302
