"""The admin follows the site's rules: a unit's staff see only their units' children and live
results, patient records opened or changed are audited, and accounts and roles change only
within the actor's units and never above the actor's own role or into superuser powers."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from constants.groups import GroupName
from npda.data_model import models as m
from tests.factories import (
    AuditPeriodFactory,
    PatientFactory,
    SiteFactory,
    SubmissionFactory,
    VisitFactory,
    user_in_group,
)
from tests.kpi_cohort import Cohort

pytestmark = pytest.mark.django_db


def staff(group, units=()):
    user = user_in_group(group, units)
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def two_units():
    ours = SiteFactory()  # PZ041
    theirs = SiteFactory(paediatric_diabetes_unit=m.PaediatricDiabetesUnit.objects.get(
        pz_code="PZ002"))  # fmt: skip
    year = AuditPeriodFactory(year=2024, is_open=True)
    for site in (ours, theirs):  # each contact in its unit's data of an open year
        VisitFactory(patient=site.patient, submission=SubmissionFactory(
            paediatric_diabetes_unit=site.paediatric_diabetes_unit, audit_period=year))  # fmt: skip
    return ours.patient, theirs.patient


def test_a_unit_user_with_staff_status_sees_only_their_children(client, two_units):
    ours, theirs = two_units
    client.force_login(staff(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ041"]))
    for model, own, other in (
        ("patient", ours.pk, theirs.pk),
        ("visit", ours.visits.get().pk, theirs.visits.get().pk),
        ("site", ours.sites.get().pk, theirs.sites.get().pk),
    ):
        listing = client.get(reverse(f"admin:npda_{model}_changelist")).content.decode()
        assert f"/{own}/change/" in listing and f"/{other}/change/" not in listing, model
        # Changing the URL to another unit's child finds nothing.
        response = client.get(reverse(f"admin:npda_{model}_change", args=[other]))
        assert response.status_code == 302, model
        assert theirs.nhs_number not in client.get(response["Location"]).content.decode()
    assert client.post(reverse("admin:npda_patient_delete", args=[theirs.pk]),
                       {"post": "yes"}).status_code == 302  # fmt: skip
    assert m.Patient.objects.filter(pk=theirs.pk).exists()


def test_opening_and_changing_a_child_in_the_admin_is_audited(client, two_units):
    ours, _ = two_units
    user = staff(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ041"])
    client.force_login(user)
    assert client.get(reverse("admin:npda_patient_change", args=[ours.pk])).status_code == 200
    viewed = m.VisitActivity.objects.filter(activity=m.ActivityType.ADMIN_PATIENT_VIEWED)
    assert [a.user for a in viewed] == [user]


def test_live_results_above_unit_level_are_the_audit_teams(client):
    client.force_login(staff(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, ["PZ041"]))
    assert client.get(reverse("admin:npda_nationalkpiaggregation_changelist")).status_code == 403
    assert client.get(reverse("admin:npda_pdukpiaggregation_changelist")).status_code == 200
    client.force_login(staff(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY))
    assert client.get(reverse("admin:npda_nationalkpiaggregation_changelist")).status_code == 200


def user_form(user, **changes) -> dict:
    data = {
        "email": user.email, "title": "", "first_name": user.first_name,
        "surname": user.surname, "role": "", "is_active": "on",
        "organisation_employers": [u.pk for u in user.organisation_employers.all()],
        "groups": [g.pk for g in user.groups.all()],
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }  # fmt: skip
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_nobody_but_a_superuser_grants_superuser_or_staff_powers(client):
    lead = staff(GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS)
    client.force_login(lead)
    url = reverse("admin:npda_npdauser_change", args=[lead.pk])
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    client.post(url, user_form(lead, is_superuser="on", is_staff="on"))
    lead.refresh_from_db()
    assert not lead.is_superuser
    boss = m.NPDAUser.objects.create_superuser("boss@npda.example", "a-long-test-password")
    boss_url = reverse("admin:npda_npdauser_change", args=[boss.pk])
    assert 'name="_save"' not in client.get(boss_url).content.decode()  # read-only at most
    assert client.post(boss_url, user_form(boss, first_name="Changed")).status_code == 403
    boss.refresh_from_db()
    assert boss.first_name != "Changed"


def test_a_unit_lead_grants_only_unit_roles_for_their_own_units(client):
    lead = staff(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ041"])
    nurse = user_in_group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, ["PZ041"])
    stranger = user_in_group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, ["PZ002"])
    client.force_login(lead)
    listing = client.get(reverse("admin:npda_npdauser_changelist")).content.decode()
    assert nurse.email in listing and stranger.email not in listing
    url = reverse("admin:npda_npdauser_change", args=[nurse.pk])
    rcpch = Group.objects.get(name=GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS)
    other_unit = m.PaediatricDiabetesUnit.objects.get(pz_code="PZ002")
    for bad in ({"groups": [rcpch.pk]}, {"organisation_employers": [other_unit.pk]}):
        response = client.post(url, user_form(nurse, **bad))
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    nurse.refresh_from_db()
    assert list(nurse.groups.values_list("name", flat=True)) == [
        GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY
    ]
    edit = Group.objects.get(name=GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS)
    assert client.post(url, user_form(nurse, groups=[edit.pk])).status_code == 302
    assert nurse.groups.get().name == GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS
    assert m.VisitActivity.objects.filter(user=lead, activity=m.ActivityType.USER_CHANGED).exists()
    assert client.get(reverse("admin:npda_npdauser_change", args=[stranger.pk])).status_code == 302


def test_changing_a_child_in_the_admin_is_audited_with_the_record(client, two_units):
    ours, _ = two_units
    site = ours.sites.get()
    user = staff(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ041"])
    client.force_login(user)
    url = reverse("admin:npda_site_change", args=[site.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data["date_leaving_service"] = "2024-09-01"
    data["reason_leaving_service"] = "2"
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:300]
    changed = m.VisitActivity.objects.get(activity=m.ActivityType.ADMIN_PATIENT_CHANGED)
    assert changed.user == user and changed.detail == f"site {site.pk}"


@pytest.fixture
def signed_off_year():
    """PZ041's 2024-25, one child with one contact, signed off by the unit's lead."""
    period = AuditPeriodFactory(year=2024, is_open=True)
    cohort = Cohort(period=period)
    child = cohort.child(date_of_birth="2012-06-15", diagnosis_date="2019-03-03",
                         rows=({"visit_date": "2024-06-10", "hba1c": 58},))  # fmt: skip
    lead = staff(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ041"])
    m.SignOff.objects.create(paediatric_diabetes_unit=cohort.unit, audit_period=period,
                             submission=cohort.submission, signed_by=lead,
                             declaration="Complete.")  # fmt: skip
    return cohort, child, lead


def form_data(page, **changes) -> dict:
    form = page.context["adminform"].form
    return {name: form[name].value() or "" for name in form.fields} | changes


def test_a_signed_off_year_cannot_be_changed_in_the_admin_either(client, signed_off_year):
    cohort, child, lead = signed_off_year
    client.force_login(lead)
    visit, site = child.visits.get(), child.sites.get()
    page = client.get(reverse("admin:npda_visit_change", args=[visit.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "Shown read-only:" in html and "signed off by" in html
    assert 'name="_save"' not in html
    for model, pk in (("visit", visit.pk), ("site", site.pk), ("patient", child.pk),
                      ("submission", cohort.submission.pk)):  # fmt: skip
        changed = client.post(reverse(f"admin:npda_{model}_change", args=[pk]), {"post": "yes"})
        assert changed.status_code == 403, model
        deleted = client.post(reverse(f"admin:npda_{model}_delete", args=[pk]), {"post": "yes"})
        assert deleted.status_code == 403, model
    # A new contact into the signed-off version is a form error naming the sign-off.
    add = reverse("admin:npda_visit_add")
    data = form_data(client.get(add), patient=child.pk, submission=cohort.submission.pk,
                     visit_date="2024-07-01")  # fmt: skip
    response = client.post(add, data)
    assert response.status_code == 200 and "signed off by" in response.content.decode()
    assert m.Visit.objects.filter(patient=child).count() == 1
    assert m.Visit.objects.get(pk=visit.pk).hba1c == visit.hba1c

    # Reopened, the year can be changed here again.
    m.SignOff.objects.update(reopened_at=timezone.now())
    html = client.get(reverse("admin:npda_visit_change", args=[visit.pk])).content.decode()
    assert 'name="_save"' in html and "Shown read-only:" not in html


def test_a_closed_year_is_read_only_in_the_admin_for_a_units_staff(client, signed_off_year):
    cohort, child, lead = signed_off_year
    m.SignOff.objects.all().delete()
    m.AuditPeriod.objects.filter(pk=cohort.period.pk).update(is_open=False)
    visit = child.visits.get()
    client.force_login(lead)
    html = client.get(reverse("admin:npda_visit_change", args=[visit.pk])).content.decode()
    assert "is closed" in html and 'name="_save"' not in html
    client.force_login(m.NPDAUser.objects.create_superuser("rcpch@npda.example", "a-password-1"))
    html = client.get(reverse("admin:npda_visit_change", args=[visit.pk])).content.decode()
    assert 'name="_save"' in html  # the audit team may still correct a closed year


# Found by a probe of the admin and the account pages ----------------------------------------


def test_a_contact_is_the_units_whose_data_it_is_in_not_every_unit_the_child_was_at(client):
    """A child who left PZ041 for PZ002: PZ002's contacts are PZ002's alone."""
    import datetime as dt

    pz002 = m.PaediatricDiabetesUnit.objects.get(pz_code="PZ002")
    child = PatientFactory()
    SiteFactory(patient=child, is_active=False, date_leaving_service=dt.date(2023, 1, 1))
    SiteFactory(patient=child, paediatric_diabetes_unit=pz002)
    theirs = VisitFactory(patient=child, submission=SubmissionFactory(
        paediatric_diabetes_unit=pz002, audit_period=AuditPeriodFactory(year=2024)))  # fmt: skip
    client.force_login(staff(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ041"]))
    assert client.get(reverse("admin:npda_visit_change", args=[theirs.pk])).status_code == 302
    listed = client.get(reverse("admin:npda_visit_changelist")).content.decode()
    assert f"/{theirs.pk}/change/" not in listed
    client.post(reverse("admin:npda_visit_delete", args=[theirs.pk]), {"post": "yes"})
    assert m.Visit.objects.filter(pk=theirs.pk).exists()


def re_email(client, account, email: str):
    """The account page's form posted with a new email, as a PZ041 view-only member."""
    role = Group.objects.get(name=GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY).pk
    details = {"email": email, "first_name": "X", "surname": "Y", "role": role, "units": ["PZ041"]}
    return client.post(f"/accounts/users/{account.pk}/", details)


def test_a_lead_cannot_change_an_account_given_powers_only_a_superuser_gives(client):
    from django.contrib.auth.models import Permission

    lead = staff(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ041"])
    boosted = user_in_group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, ["PZ041"])
    boosted.user_permissions.add(Permission.objects.get(codename="view_all_units"))
    email = boosted.email
    client.force_login(lead)
    assert re_email(client, boosted, "mine@elsewhere.example").status_code == 404
    password = client.post(reverse("admin:auth_user_password_change", args=[boosted.pk]), {
        "password1": "a-Long-pass-123!", "password2": "a-Long-pass-123!",
        "usable_password": "true"})  # fmt: skip
    assert password.status_code == 403
    boosted.refresh_from_db()
    assert (boosted.email, boosted.is_active) == (email, True)
    assert not boosted.check_password("a-Long-pass-123!")


def test_an_account_with_the_staff_flag_is_changed_only_by_staff(client):
    lead = user_in_group(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ041"])  # not staff
    colleague = staff(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, ["PZ041"])
    client.force_login(lead)
    assert re_email(client, colleague, "moved@elsewhere.example").status_code == 404
    colleague.refresh_from_db()
    assert colleague.email != "moved@elsewhere.example"


def test_the_admin_offers_adding_an_account_only_to_the_audit_team(client):
    client.force_login(staff(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ041"]))
    assert client.get(reverse("admin:npda_npdauser_add")).status_code == 403
    client.force_login(staff(GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS))
    assert client.get(reverse("admin:npda_npdauser_add")).status_code == 200
    created = client.post(reverse("admin:npda_npdauser_add"), {
        "email": "new.member@rcpch.ac.uk", "password1": "a-Long-pass-123!",
        "password2": "a-Long-pass-123!", "usable_password": "true"})  # fmt: skip
    assert created.status_code == 302
    assert m.NPDAUser.objects.filter(email="new.member@rcpch.ac.uk").exists()
