"""Account pages: a unit's lead adds and changes people of their units with unit roles only,
the RCPCH audit team's full group any non-superuser; every change audited; a new person gets
an email to choose their password."""

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from constants.groups import GroupName
from npda.data_model import models as m
from tests.factories import user_in_group

pytestmark = pytest.mark.django_db


def group(name):
    return Group.objects.get(name=name).pk


def test_a_unit_lead_adds_a_nurse_to_their_unit_who_is_invited_by_email(client):
    lead = user_in_group(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ041"])
    client.force_login(lead)
    form = client.get("/accounts/users/new/").content.decode()
    assert GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS.value not in form and 'value="PZ002"' not in form
    response = client.post("/accounts/users/new/", {
        "email": "New.Nurse@Unit.NHS.uk", "first_name": "New", "surname": "Nurse",
        "is_active": "on", "role": group(GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS),
        "units": ["PZ041"],
    })  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/accounts/users/"
    nurse = m.NPDAUser.objects.get(email="new.nurse@unit.nhs.uk")
    assert not nurse.check_password("") and nurse.password  # a secret nobody knows
    assert [g.name for g in nurse.groups.all()] == [GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS]
    assert list(nurse.organisation_employers.values_list("pz_code", flat=True)) == ["PZ041"]
    assert (
        mail.outbox[0].to == ["new.nurse@unit.nhs.uk"] and "/accounts/reset/" in mail.outbox[0].body
    )
    change = m.VisitActivity.objects.get(user=lead, activity=m.ActivityType.USER_CHANGED)
    assert change.detail == f"user {nurse.pk} (new.nurse@unit.nhs.uk) created"
    assert "new.nurse@unit.nhs.uk" in client.get("/accounts/users/").content.decode()


@pytest.mark.parametrize(
    "changes",
    [
        {"role": "RCPCH"},  # above the lead's own role
        {"units": ["PZ002"]},  # another unit
        {"units": []},  # a unit role with no unit
        {"email": "LEAD@unit.nhs.uk"},  # somebody's address, in another case
    ],
)
def test_a_unit_lead_cannot_go_beyond_their_role_or_units(client, changes):
    lead = user_in_group(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ041"])
    lead.email = "lead@unit.nhs.uk"
    lead.save()
    client.force_login(lead)
    data = {"email": "x@unit.nhs.uk", "first_name": "X", "surname": "Y", "is_active": "on",
            "role": group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY), "units": ["PZ041"]}  # fmt: skip
    if changes.get("role") == "RCPCH":
        changes = {"role": group(GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS)}
    response = client.post("/accounts/users/new/", {**data, **changes})
    assert response.status_code == 200 and 'class="errornote"' in response.content.decode()
    assert not m.NPDAUser.objects.filter(email="x@unit.nhs.uk").exists()


def test_people_outside_the_leads_units_and_superusers_are_out_of_reach(client):
    lead = user_in_group(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ041"])
    stranger = user_in_group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, ["PZ002"])
    client.force_login(lead)
    assert client.get(f"/accounts/users/{stranger.pk}/").status_code == 404
    assert stranger.email not in client.get("/accounts/users/").content.decode()
    client.force_login(user_in_group(GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS, ["PZ041"]))
    assert client.get("/accounts/users/").status_code == 403  # not a lead
    team = user_in_group(GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS)
    boss = m.NPDAUser.objects.create_superuser("boss@npda.example", "a-long-test-password")
    client.force_login(team)
    assert client.get(f"/accounts/users/{stranger.pk}/").status_code == 200
    assert client.get(f"/accounts/users/{boss.pk}/").status_code == 404
