"""Password reset by email: a link that works once, audited, never saying whether an address
has an account, and two-factor still needed after it."""

import re

import pytest
from django.core import mail
from django.test import Client

from npda import models as m
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
