"""Password reset by email: a link that works once, audited, never saying whether an address
has an account, and two-factor still needed after it."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from npda.data_model import models as m
from tests.factories import NPDAUserFactory

pytestmark = pytest.mark.django_db


def test_a_reset_link_sets_a_new_password_once():
    user = NPDAUserFactory(email="lead@unit.nhs.uk")
    client = Client()
    response = client.post("/accounts/password-reset/", {"email": "LEAD@unit.nhs.uk"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["lead@unit.nhs.uk"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert b"Choose a new password" in form.content
    new = {"new_password1": "a-brand-new-password", "new_password2": "a-brand-new-password"}
    done = client.post(form.redirect_chain[-1][0], new)
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
    user.refresh_from_db()
    assert user.check_password("a-brand-new-password")
    assert b"expired or has been used" in client.get(link, follow=True).content
    kinds = set(m.VisitActivity.objects.filter(user=user).values_list("activity", flat=True))
    assert {m.ActivityType.PASSWORD_RESET_REQUESTED, m.ActivityType.PASSWORD_CHANGED} <= kinds
    # Logging in with it still needs the second factor.
    login = {"username": user.email, "password": "a-brand-new-password"}
    assert client.post("/accounts/login/", login).status_code == 302
    assert client.get("/units/")["Location"].startswith("/accounts/two-factor/")


def test_an_unknown_address_gets_the_same_answer_and_no_email():
    response = Client().post("/accounts/password-reset/", {"email": "nobody@unit.nhs.uk"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"
    assert mail.outbox == []
    asked = m.VisitActivity.objects.get(activity=m.ActivityType.PASSWORD_RESET_REQUESTED)
    assert asked.user is None and not asked.success


def test_reset_emails_to_one_account_are_limited_with_the_same_answer():
    NPDAUserFactory(email="lead@unit.nhs.uk")
    client = Client()
    for i in range(13):
        response = client.post("/accounts/password-reset/", {"email": "lead@unit.nhs.uk"},
                               REMOTE_ADDR=f"10.1.0.{i + 1}")  # fmt: skip
        assert response.status_code == 302
        assert response["Location"] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == settings.NPDA_RESET_EMAILS_PER_ACCOUNT
    asked = m.VisitActivity.objects.filter(activity=m.ActivityType.PASSWORD_RESET_REQUESTED)
    assert asked.count() == 13  # every request is in the audit trail, sent or not
    assert asked.filter(detail__contains="not sent").count() == 13 - len(mail.outbox)


def test_reset_requests_from_one_address_are_limited():
    for i in range(15):
        NPDAUserFactory(email=f"person{i}@unit.nhs.uk")
    client = Client()
    for i in range(15):
        response = client.post("/accounts/password-reset/", {"email": f"person{i}@unit.nhs.uk"},
                               REMOTE_ADDR="192.0.2.50")  # fmt: skip
        assert response["Location"] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == settings.NPDA_RESET_EMAILS_PER_ADDRESS
