"""The about-the-data page, login with its audit trail, and the admin of every model."""

import pytest
from django.contrib import admin
from django.urls import reverse

from npda.data_model import models as m
from tests.factories import NPDAUserFactory, PatientFactory, SiteFactory, VisitFactory

pytestmark = pytest.mark.django_db


def test_the_about_the_data_page_lists_levels_and_counts(client):
    response = client.get(reverse("about-data"))
    assert response.status_code == 200
    rows = {level.label: level.count for level in response.context["levels"]}
    assert rows["Integrated Care Boards"] == 42
    assert rows["Local Health Boards (Wales)"] == 7
    assert rows["NHS England regions"] == 7
    assert rows["Paediatric Diabetes Units"] == 172
    html = response.content.decode()
    assert "160 England, 11 Wales, 1 other (Jersey)" in html
    assert "Open Government Licence v.3.0" in html
    assert "reference_map" in html  # the embedded map, in a frame with a title
    assert '<iframe src="/django_plotly_dash/app/reference_map/" title="Map of' in html


def test_login_is_case_insensitive_and_recorded(client):
    user = NPDAUserFactory(email="nurse@unit.nhs.uk")
    response = client.post(
        reverse("login"),
        {"username": "Nurse@Unit.NHS.uk", "password": "a-long-test-password"},
        REMOTE_ADDR="10.1.2.3",
        HTTP_USER_AGENT="pytest-browser",
    )
    assert response.status_code == 302
    activity = m.VisitActivity.objects.get(user=user)
    assert activity.activity == m.ActivityType.LOGIN and activity.success
    assert activity.ip_address == "10.1.2.3" and activity.user_agent == "pytest-browser"


def test_failed_login_is_recorded_without_a_session(client):
    user = NPDAUserFactory(email="lead@unit.nhs.uk")
    response = client.post(
        reverse("login"), {"username": "lead@unit.nhs.uk", "password": "no"}, REMOTE_ADDR="10.9.9.9"
    )
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    failed = m.VisitActivity.objects.get(activity=m.ActivityType.LOGIN_FAILED)
    assert failed.user == user and not failed.success and failed.ip_address == "10.9.9.9"
    client.post(reverse("login"), {"username": "nobody@unit.nhs.uk", "password": "no"})
    assert m.VisitActivity.objects.filter(user=None, success=False).count() == 1


def test_logout_is_recorded(client):
    user = NPDAUserFactory()
    client.force_login(user)
    client.post(reverse("logout"))
    assert m.VisitActivity.objects.filter(user=user, activity=m.ActivityType.LOGOUT).exists()


@pytest.fixture
def admin_client_with_data(client):
    superuser = m.NPDAUser.objects.create_superuser("admin@npda.example", "an-admin-password")
    client.force_login(superuser)
    site = SiteFactory()
    VisitFactory(patient=site.patient)
    PatientFactory()
    m.VisitActivity.objects.create(user=superuser, activity=m.ActivityType.LOGIN, success=True)
    return client


def test_every_model_is_in_the_admin():
    registered = set(admin.site._registry)
    from django.apps import apps

    ours = set(apps.get_app_config("npda").get_models())
    # A child's change history (django-pghistory's event tables) is read on the
    # child's record, scoped to the user's units, never through the admin.
    history = {
        model for model in ours if model.__name__.endswith("Event") and hasattr(model, "pgh_obj")
    }
    assert {"PatientEvent", "SiteEvent", "VisitEvent"} <= {model.__name__ for model in history}
    assert ours - history <= registered
    assert not history & registered


def test_admin_changelists_and_change_pages_render(admin_client_with_data):
    client = admin_client_with_data
    for model in admin.site._registry:
        if model._meta.app_label != "npda":
            continue
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        obj = model.objects.first()
        if obj is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            assert client.get(change).status_code == 200, change


def test_admin_shows_geometry_read_only(admin_client_with_data):
    url = reverse("admin:npda_integratedcareboard_change", args=["E54000008"])
    html = admin_client_with_data.get(url).content.decode()
    assert "MultiPolygon of" in html and "EPSG:27700" in html and "<svg" in html
    assert 'name="boundary"' not in html  # no editable geometry widget
    response = admin_client_with_data.post(
        url,
        {
            "code": "E54000008",
            "name": "Renamed",
            "short_name": "x",
            "ods_code": "QYG",
            "nhs_england_region": "E40000010",
            "country": "E92000001",
        },
    )
    assert response.status_code == 302
    assert m.IntegratedCareBoard.objects.get(code="E54000008").boundary is not None


def test_visit_activity_cannot_be_edited_in_the_admin(admin_client_with_data):
    activity = m.VisitActivity.objects.first()
    url = reverse("admin:npda_visitactivity_change", args=[activity.pk])
    html = admin_client_with_data.get(url).content.decode()
    assert 'name="_save"' not in html
    assert admin_client_with_data.get(reverse("admin:npda_visitactivity_add")).status_code == 403
