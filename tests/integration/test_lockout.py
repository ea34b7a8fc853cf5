"""Lockout after repeated failed logins (django-axes), per account and per address, on the site
and the admin, with the wait shown and every lockout in the audit trail."""

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse

from npda.accounts.auth import minutes_to_wait
from npda.data_model import models as m
from npda.data_model.models.users import canonical_email
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


# One canonical form of an address (issue 19): every spelling that logs in to an account
# shares its attempts, and a spelling that does not normalise to it does not log in at all.
FULLWIDTH_P, DOTLESS_I = "\uff50", "\u0131"
VARIANTS = (
    f"{FULLWIDTH_P}robe.lockit@unit.nhs.uk",  # NFKC: a plain p
    f"probe.lock{DOTLESS_I}t@unit.nhs.uk",  # upper-cases to a plain I in PostgreSQL
    " PROBE.Lockit@Unit.NHS.uk ",
    f"PROBE.LOCK{DOTLESS_I.upper()}T@unit.nhs.uk",
)


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_spelling_of_the_address_escapes_the_lockout(client, variant):
    NPDAUserFactory(email="probe.lockit@unit.nhs.uk")
    for i in range(5):
        attempt(client, "probe.lockit@unit.nhs.uk", ip=f"10.0.0.{i + 1}")
    response = attempt(client, variant, PASSWORD, ip="10.0.9.9")
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)


@pytest.mark.parametrize("variant", VARIANTS)
def test_failures_under_any_spelling_count_against_the_account(client, variant):
    NPDAUserFactory(email="probe.lockit@unit.nhs.uk")
    for i in range(5):
        attempt(client, variant, ip=f"10.0.1.{i + 1}")
    response = attempt(client, "probe.lockit@unit.nhs.uk", PASSWORD, ip="10.0.9.9")
    logged_in = "_auth_user_id" in client.session
    # A spelling that reaches the account locked it; one that does not reach it is no login.
    assert not logged_in or response.status_code == 302
    if canonical_email(variant) == "probe.lockit@unit.nhs.uk":
        assert response.status_code == 429 and not logged_in


def test_a_locked_out_person_can_reset_their_password_which_lifts_the_lock(client):
    user = NPDAUserFactory(email="lead@unit.nhs.uk")
    for i in range(5):
        attempt(client, "lead@unit.nhs.uk", ip=f"10.0.2.{i + 1}")
    locked = attempt(client, "lead@unit.nhs.uk", PASSWORD, ip="10.0.2.9")
    assert locked.status_code == 429
    assert 'href="/accounts/password-reset/"' in locked.content.decode()
    client.post("/accounts/password-reset/", {"email": "lead@unit.nhs.uk"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
    form = client.get(link, follow=True)
    new = {"new_password1": "a-brand-new-password", "new_password2": "a-brand-new-password"}
    assert client.post(form.redirect_chain[-1][0], new).status_code == 302
    again = attempt(client, "lead@unit.nhs.uk", "a-brand-new-password", ip="10.0.2.9")
    assert again.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
