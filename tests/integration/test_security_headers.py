"""Security headers: CSP on every page, no-store on everything a signed-in person is sent,
no server paths shown; the Dash renderer hash the policy allows is still Dash's."""

import dash
import pytest
from django.conf import settings
from django.urls import reverse

from constants.groups import GroupName
from tests.factories import user_in_group

pytestmark = pytest.mark.django_db


def test_every_page_has_the_content_security_policy(client):
    policy = client.get("/units/")["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'self'" in policy
    assert f"script-src 'self' {settings.DASH_RENDERER_HASH}" in policy
    assert "'unsafe-eval'" not in policy and "script-src 'self' 'unsafe-inline'" not in policy


def test_the_allowed_inline_script_is_dashs_renderer():
    assert dash.Dash(__name__).csp_hashes() == [settings.DASH_RENDERER_HASH]


def test_signed_in_responses_are_never_stored_published_ones_still_cache(client):
    assert "no-store" not in client.get("/units/").get("Cache-Control", "")  # public page
    client.force_login(user_in_group(GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS, ["PZ041"]))
    for url in ("/units/", reverse("upload"), "/admin/", "/admin/npda/patient/"):
        response = client.get(url)
        assert response.status_code in (200, 302, 403), url
        assert "no-store" in response["Cache-Control"], url
    assert client.get("/api/v1/releases")["Cache-Control"].startswith("public")


def test_the_home_page_shows_no_server_path(client):
    text = client.get("/").content.decode()
    assert str(settings.NPDA_REFERENCE_DATA) not in text and "/work/" not in text
