"""Two-factor authentication: required for every account before any signed-in page, set up
with an authenticator app and recovery codes, every step in the audit trail."""

import base64
import json
import re
import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from constants.groups import GroupName
from dashboards.map_outputs import update_request
from npda.data_model import models as m
from tests.factories import NPDAUserFactory, user_in_group

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password"


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits)
    generator.time = time.time() + device.step * steps_ahead
    return f"{generator.token():06d}"


def password_only(user) -> Client:
    """A session that has passed the password, not yet the code."""
    client = Client()
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def activities(user) -> list[int]:
    return list(m.VisitActivity.objects.filter(user=user).order_by("id")
                .values_list("activity", flat=True))  # fmt: skip


@pytest.mark.parametrize("group", list(GroupName))
def test_every_role_needs_its_code_before_any_signed_in_page(group):
    user = user_in_group(group, ["PZ041"])
    user.set_password(PASSWORD)
    user.save()
    client = password_only(user)
    for url in ("/submissions/upload/", "/admin/", "/maps/?release=live-2024", "/units/PZ041/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/two-factor/?next="), url
    body = json.dumps(update_request("?level=pdu&release=live-2024"))
    dash = client.post("/django_plotly_dash/app/map_explorer/_dash-update-component", body,
                       content_type="application/json")  # fmt: skip
    assert dash.status_code == 403
    assert client.get("/api/v1/releases").status_code == 200  # published figures stay open


def test_setting_up_the_app_gives_recovery_codes_and_verifies_the_session():
    user = NPDAUserFactory(email="lead@unit.nhs.uk", password=PASSWORD)
    client = password_only(user)
    assert client.get("/accounts/two-factor/")["Location"].startswith("/accounts/two-factor/setup/")
    page = client.get("/accounts/two-factor/setup/").content.decode()
    assert "<svg" in page and 'id="totp-secret"' in page
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    wrong = client.post("/accounts/two-factor/setup/", {"code": "000000"})
    assert "wait 1 second, then" in wrong.content.decode()
    assert client.get("/maps/").status_code == 302  # still not verified
    time.sleep(1.05)  # the pause django-otp enforces after a wrong code
    done = client.post("/accounts/two-factor/setup/", {"code": code_for(device), "next": "/maps/"})
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    assert set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == (
        set(codes)
    )
    assert client.get("/maps/").status_code == 200  # verified now
    assert activities(user)[-2:] == [
        m.ActivityType.TWO_FACTOR_FAILED,
        m.ActivityType.TWO_FACTOR_SET_UP,
    ]


def test_a_code_or_a_recovery_code_once_verifies_a_later_login():
    user = NPDAUserFactory(email="lead@unit.nhs.uk", password=PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = password_only(user)
    assert client.get("/accounts/two-factor/setup/")["Location"].startswith(
        "/accounts/two-factor/?"
    )
    response = client.post("/accounts/two-factor/", {"code": code_for(device, 1), "next": "/maps/"})
    assert response.status_code == 302 and response["Location"] == "/maps/"
    assert activities(user)[-1] == m.ActivityType.TWO_FACTOR_VERIFIED
    # A recovery code works once.
    from npda.accounts.two_factor import new_recovery_codes

    recovery = new_recovery_codes(user)[0]
    again = password_only(user)
    # No next address: to the person's landing page (their unit's workspace, issue 22).
    assert again.post("/accounts/two-factor/", {"code": recovery})["Location"] == "/workspace/"
    third = password_only(user)
    refused = third.post("/accounts/two-factor/", {"code": recovery})
    assert refused.status_code == 200 and "not accepted" in refused.content.decode()
    assert m.ActivityType.RECOVERY_CODE_USED in activities(user)
    assert activities(user)[-1] == m.ActivityType.TWO_FACTOR_FAILED


def test_the_next_address_must_be_this_site():
    user = NPDAUserFactory(email="lead@unit.nhs.uk", password=PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = password_only(user)
    response = client.post(
        "/accounts/two-factor/", {"code": code_for(device, 1), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/workspace/"  # fmt: skip
