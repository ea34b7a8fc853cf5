"""Who may reach what: every role (and an anonymous visitor) against the site's pages, the
admin, the API, a Dash callback and the downloads, with the answer each should get, and a
unit's staff never reaching another unit's children by changing a URL or a callback argument.

The trust roles work for PZ041 only. Everyone here has staff status, as the attack that found
the admin unscoped gave it: staff status alone must not widen anyone's access."""

import datetime as dt
import json

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.forms.models import model_to_dict

from aggregation.releases import publish_release
from constants.groups import GroupName
from dashboards.map_outputs import update_request
from npda.data_model import models as m
from tests import worlds
from tests.factories import (
    AuditPeriodFactory,
    SiteFactory,
    SubmissionFactory,
    VisitFactory,
    user_in_group,
)
from tests.integration.conftest import make_large_units

pytestmark = pytest.mark.django_db
ROLES = ("anonymous", "rcpch_full", "rcpch_edit", "rcpch_view", "trust_full", "trust_edit",
         "trust_view")  # fmt: skip
GROUPS = {
    "rcpch_full": GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS,
    "rcpch_edit": GroupName.RCPCH_AUDIT_TEAM_EDIT_ACCESS,
    "rcpch_view": GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY,
    "trust_full": GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS,
    "trust_edit": GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS,
    "trust_view": GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY,
}
A, L, F, N = 200, 302, 403, 404  # allowed, to log in (or not found in the admin), forbidden, 404
CONTACT = "/units/PZ041/children/{own_patient}/contacts/{own_contact}/"
# url template: the status for each role, in ROLES order.
MATRIX = {
    "/": (A, A, A, A, A, A, A),
    "/units/PZ041/": (A, A, A, A, A, A, A),
    "/maps/": (A, A, A, A, A, A, A),
    "/benchmarking/44/": (A, A, A, A, A, A, A),
    "/areas/icb/{icb}/": (A, A, A, A, A, A, A),
    "/api/v1/releases": (A, A, A, A, A, A, A),
    "/submissions/upload/": (L, A, A, A, A, A, A),
    "/submissions/{own}/": (L, A, A, A, A, A, A),
    "/submissions/{other}/": (L, A, A, A, N, N, N),
    "/submissions/{own}/errors.csv": (L, A, A, A, A, A, A),
    "/submissions/{other}/errors.csv": (L, A, A, A, N, N, N),
    "/submissions/{other}/errors.xlsx": (L, A, A, A, N, N, N),
    "/releases/{release}/outliers/": (L, A, A, A, F, F, F),
    "/releases/{release}/suppression-log.csv": (L, A, A, A, F, F, F),
    "/admin/": (L, A, A, A, A, A, A),
    "/admin/npda/patient/": (L, A, A, A, A, A, A),
    "/admin/npda/patient/{other_patient}/change/": (L, A, A, A, L, L, L),
    "/admin/npda/visit/": (L, A, A, A, A, A, A),
    "/admin/npda/pdukpiaggregation/": (L, A, A, A, A, A, A),
    "/admin/npda/nationalkpiaggregation/": (L, A, A, A, F, F, F),
    "/admin/npda/visitactivity/": (L, A, A, A, F, F, F),
    "/admin/npda/npdauser/": (L, A, A, A, A, F, F),
    "/admin/npda/submission/": (L, A, A, A, A, A, A),
    "/admin/aggregation/release/": (L, A, A, A, F, F, F),
    "/accounts/users/": (L, A, F, F, A, F, F),
    "/accounts/users/new/": (L, A, F, F, A, F, F),
    "/accounts/two-factor/": (L, L, L, L, L, L, L),  # verified already: on to the home page
    "/units/": (A, A, A, A, A, A, A),
    "/benchmarking/": (L, L, L, L, L, L, L),  # to the default measure's page
    # Issue 21: a unit's versions, sign-off and data quality; the audit team's tracker.
    "/submissions/history/PZ041/{year}/": (L, A, A, A, A, A, A),
    "/submissions/history/PZ002/{year}/": (L, A, A, A, N, N, N),
    "/submissions/sign-off/PZ041/{year}/": (L, A, A, A, A, A, A),
    "/submissions/sign-off/PZ002/{year}/": (L, A, A, A, N, N, N),
    "/submissions/quality/PZ041/{year}/": (L, A, A, A, A, A, A),
    "/submissions/quality/PZ002/{year}/": (L, A, A, A, N, N, N),
    "/submissions/quality/PZ041/{year}.xlsx": (L, A, A, A, A, A, A),
    "/submissions/quality/PZ002/{year}.xlsx": (L, A, A, A, N, N, N),
    "/submissions/tracker/": (L, A, A, A, F, F, F),
    # Issue 22: a unit's workspace, children, a child's record, the worklist and downloads;
    # the audit team's page. Another unit's (or a child not of the unit) is a 404.
    "/workspace/": (L, L, L, L, L, L, L),  # to the audit team's page or the unit's workspace
    "/team/": (L, A, A, A, F, F, F),
    "/units/PZ041/workspace/?year={year}": (L, A, A, A, A, A, A),
    "/units/PZ002/workspace/?year={year}": (L, A, A, A, N, N, N),
    "/units/PZ041/children/?year={year}": (L, A, A, A, A, A, A),
    "/units/PZ002/children/?year={year}": (L, A, A, A, N, N, N),
    "/units/PZ041/children/download.csv?year={year}": (L, A, A, A, A, A, A),
    "/units/PZ002/children/download.xlsx?year={year}": (L, A, A, A, N, N, N),
    "/units/PZ041/children/{own_patient}/?year={year}": (L, A, A, A, A, A, A),
    "/units/PZ041/children/{other_patient}/?year={year}": (L, N, N, N, N, N, N),
    "/units/PZ002/children/{other_patient}/?year={year}": (L, A, A, A, N, N, N),
    "/units/PZ041/due/?year={year}": (L, A, A, A, A, A, A),
    "/units/PZ002/due/?year={year}": (L, A, A, A, N, N, N),
    "/units/PZ041/due/download.xlsx?year={year}": (L, A, A, A, A, A, A),
    "/units/PZ002/due/download.csv?year={year}": (L, A, A, A, N, N, N),
    # Issue 23: the record's forms (a view-only role sees the record, not the forms).
    "/units/PZ041/children/new/?year={year}": (L, A, A, F, A, A, F),
    "/units/PZ041/children/{own_patient}/edit/?year={year}": (L, A, A, F, A, A, F),
    "/units/PZ041/children/{own_patient}/contacts/new/?year={year}": (L, A, A, F, A, A, F),
    CONTACT + "?year={year}": (L, A, A, F, A, A, F),
    CONTACT + "remove/?year={year}": (L, A, F, F, A, F, F),
    "/units/PZ041/children/{other_patient}/contacts/new/?year={year}": (L, N, N, N, N, N, N),
    "/units/PZ002/children/{other_patient}/contacts/new/?year={year}": (L, A, A, F, N, N, N),
    "/units/PZ002/children/{other_patient}/edit/?year={year}": (L, A, A, F, N, N, N),
}


@pytest.fixture
def world():
    """Built once per test process (tests/worlds.py)."""
    return worlds.world("permission matrix", _world)


def _world():
    period, _ = make_large_units()
    release = publish_release(period, "final", today=dt.date(2026, 12, 1))
    active = m.Submission.objects.filter(audit_period=period, is_active=True)
    own = active.get(paediatric_diabetes_unit_id="PZ041")
    other = active.get(paediatric_diabetes_unit_id="PZ002")
    other_patient = (
        m.Patient.objects.filter(sites__paediatric_diabetes_unit_id="PZ002")
        .exclude(sites__paediatric_diabetes_unit_id="PZ041").first()
    )  # fmt: skip
    own_contact = m.Visit.objects.filter(submission=own).first()
    own_patient = own_contact.patient
    from aggregation.selectors import unit_areas

    return {
        "period": period, "release": release.pk, "own": own.pk, "other": other.pk,
        "other_patient": other_patient.pk, "own_patient": own_patient.pk,
        "own_contact": own_contact.pk,
        "icb": unit_areas("PZ041")["icb"].code,
        "year": period.start_date.year,
    }  # fmt: skip


def signed_in(client, role: str):
    if role != "anonymous":
        user = user_in_group(GROUPS[role], [] if role.startswith("rcpch") else ["PZ041"])
        user.is_staff = True
        user.save()
        client.force_login(user)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_answer_it_should(client, world, role):
    client = signed_in(client, role)
    wrong = []
    for template, expected in MATRIX.items():
        url = template.format(**world)
        status = client.get(url).status_code
        if status != expected[ROLES.index(role)]:
            wrong.append(f"{url}: {status}, expected {expected[ROLES.index(role)]}")
    assert wrong == []


@pytest.mark.parametrize("role", ROLES)
def test_live_results_only_for_the_audit_team_and_a_units_own_staff(client, world, role):
    client = signed_in(client, role)
    year = world["period"].start_date.year
    own = client.get(f"/units/PZ041/?release=live-{year}").content.decode()
    other = client.get(f"/units/PZ002/?release=live-{year}").content.decode()
    team, staff = role.startswith("rcpch"), role.startswith("trust")
    assert ("live results: not published" in own) == (team or staff)
    assert ("live results: not published" in other) == team
    # The same through a Dash callback's arguments: live unit results on the map.
    body = json.dumps(update_request(f"?level=pdu&measure=25&release=live-{year}"))
    answer = client.post("/django_plotly_dash/app/map_explorer/_dash-update-component", body,
                         content_type="application/json")  # fmt: skip
    assert answer.status_code == 200
    shown = json.loads(answer.content)["response"]["map-release"]["children"]
    assert ("not published" in json.dumps(shown)) == team


def test_a_unit_user_cannot_reach_another_units_child_by_any_field(client, world):
    signed_in(client, "trust_edit")
    upload_form = client.get("/submissions/upload/").content.decode()
    assert 'value="PZ041"' in upload_form and 'value="PZ002"' not in upload_form
    response = client.post("/submissions/upload/", {
        "paediatric_diabetes_unit": "PZ002", "audit_period": world["period"].pk,
    })  # fmt: skip
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not m.Submission.objects.filter(paediatric_diabetes_unit_id="PZ002",
                                           submitted_by__isnull=False).exists()  # fmt: skip


# The admin's foreign keys (issue 19): a unit user's add and change forms accept only objects
# of their own units, however the raw-id field is filled in, and the save checks again.


@pytest.fixture
def two_units():
    """PZ041's child (with a submission and a visit) and PZ002's, and a PZ002 colleague."""
    period = AuditPeriodFactory(year=2024)
    ours, theirs = SiteFactory(), SiteFactory(paediatric_diabetes_unit_id="PZ002")
    our_submission = SubmissionFactory(audit_period=period)
    their_submission = SubmissionFactory(paediatric_diabetes_unit_id="PZ002", audit_period=period)
    return {
        "ours": ours, "theirs": theirs, "period": period,
        "our_submission": our_submission, "their_submission": their_submission,
        "our_visit": VisitFactory(patient=ours.patient, submission=our_submission),
        "their_visit": VisitFactory(patient=theirs.patient, submission=their_submission),
        "stranger": user_in_group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, ["PZ002"]),
    }  # fmt: skip


def admin_form_data(client, url: str) -> dict:
    """The values an admin add or change page's form holds, as a browser would post them."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif value is not None:
            data[name] = str(value)
    return data


# (role, admin page, fields set to another unit's objects): each must be refused.
FOREIGN_POSTS = [
    (role, page, changes)
    for role in ("trust_full", "trust_edit")
    for page, changes in (
        ("site/add", {"patient": "theirs", "paediatric_diabetes_unit": "PZ041", "is_active": None}),
        ("site/{our_site}/change", {"patient": "theirs"}),
        ("visit/add", {"patient": "theirs", "submission": "our_submission"}),
        ("visit/add", {"patient": "ours", "submission": "their_submission"}),
        ("visit/{our_visit}/change", {"patient": "theirs"}),
        ("visit/{our_visit}/change", {"submission": "their_submission"}),
    )
] + [
    ("trust_full", "submission/{our_submission}/change", {"patients": ["theirs"]}),
    ("trust_full", "submission/{our_submission}/change", {"submitted_by": "stranger"}),
]


def _foreign_value(world: dict, name: str):
    if isinstance(name, list):
        return [_foreign_value(world, n) for n in name]
    if name in ("ours", "theirs"):
        return str(world[name].patient.pk)
    return str(world[name].pk) if name in world else name


@pytest.mark.parametrize(("role", "page", "changes"), FOREIGN_POSTS)
def test_admin_forms_refuse_another_units_objects(client, two_units, role, page, changes):
    signed_in(client, role)
    ids = {"our_site": two_units["ours"].pk, "our_visit": two_units["our_visit"].pk,
           "our_submission": two_units["our_submission"].pk}  # fmt: skip
    url = f"/admin/npda/{page.format(**ids)}/"
    data = admin_form_data(client, url)
    for field, value in changes.items():
        if value is None:
            data.pop(field, None)
        else:
            data[field] = _foreign_value(two_units, value)
    counts = (m.Site.objects.count(), m.Visit.objects.count())
    response = client.post(url, data)
    assert response.status_code in (200, 403), (response.status_code, response.get("Location"))
    if response.status_code == 200:
        assert "Select a valid choice" in response.content.decode()
    assert (m.Site.objects.count(), m.Visit.objects.count()) == counts
    their_patient = two_units["theirs"].patient
    assert not m.Site.objects.filter(patient=their_patient, paediatric_diabetes_unit_id="PZ041")
    assert set(m.Visit.objects.filter(patient=their_patient)) == {two_units["their_visit"]}
    for name in ("our_visit", "our_submission"):
        before = two_units[name]
        after = type(before).objects.get(pk=before.pk)
        assert model_to_dict(after) == model_to_dict(before), name
    # The other unit's child stays out of reach.
    change = client.get(f"/admin/npda/patient/{their_patient.pk}/change/")
    assert change.status_code == 302


@pytest.mark.parametrize("role", ("trust_full", "trust_edit", "trust_view"))
def test_every_admin_form_offers_only_the_users_own_units_objects(rf, two_units, role):
    """Every foreign key and many-to-many of every admin form a unit user can open: no
    object of another unit is a valid choice (raw-id or select alike)."""
    user = user_in_group(GROUPS[role], ["PZ041"])
    user.is_staff = True
    user.save()
    request = rf.get("/admin/")
    request.user = user
    theirs = {
        m.Patient: two_units["theirs"].patient, m.Site: two_units["theirs"],
        m.Visit: two_units["their_visit"], m.Submission: two_units["their_submission"],
        m.PaediatricDiabetesUnit: m.PaediatricDiabetesUnit.objects.get(pk="PZ002"),
        m.NPDAUser: two_units["stranger"],
    }  # fmt: skip
    checked = []
    for model, model_admin in admin.site._registry.items():
        if not (model_admin.has_add_permission(request)
                or model_admin.has_change_permission(request)):  # fmt: skip
            continue
        form = model_admin.get_form(request)
        for name, field in form.base_fields.items():
            related = getattr(getattr(field, "queryset", None), "model", None)
            if related in theirs:
                checked.append(f"{model.__name__}.{name}")
                assert not field.queryset.filter(pk=theirs[related].pk).exists(), checked[-1]
    expected = set() if role == "trust_view" else {"Site.patient", "Visit.patient",
                                                    "Visit.submission"}  # fmt: skip
    if role == "trust_full":
        expected |= {"Submission.patients", "Submission.submitted_by"}
    assert expected <= set(checked)  # a view-only user has no form to check


# Accounts above the actor (issue 19): nobody changes, resets, deactivates or re-emails an
# account whose current role is above their own or that holds units they do not hold.


def _account_post(target, **changes) -> dict:
    data = {"email": target.email, "first_name": target.first_name, "surname": target.surname,
            "is_active": "on", "role": target.groups.get().pk,
            "units": [u.pk for u in target.organisation_employers.all()]}  # fmt: skip
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _targets():
    """Accounts a PZ041 lead must not touch, each listing PZ041 among its units."""
    team = user_in_group(GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS, ["PZ041"])
    wider = user_in_group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, ["PZ041", "PZ002"])
    return {"rcpch_full": team, "two_units": wider}


def _demoted(target) -> dict:
    return {"role": Group.objects.get(name=GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY).pk,
            "units": ["PZ041"]}  # fmt: skip


CHANGES = {
    "demote": _demoted,
    "deactivate": lambda t: {"is_active": None},
    "re-email": lambda t: {"email": "attacker@example.com"},
    "drop a unit": lambda t: {"units": ["PZ041"]},
}


@pytest.mark.parametrize("target_name", ("rcpch_full", "two_units"))
@pytest.mark.parametrize("change", CHANGES)
def test_a_unit_lead_cannot_change_an_account_above_them(client, target_name, change):
    client = signed_in(client, "trust_full")
    target = _targets()[target_name]
    before = (target.email, target.is_active, target.password, list(target.groups.all()),
              list(target.organisation_employers.all()))  # fmt: skip
    url = f"/accounts/users/{target.pk}/"
    assert client.get(url).status_code == 404
    response = client.post(url, _account_post(target, **CHANGES[change](target)))
    assert response.status_code == 404
    target.refresh_from_db()
    after = (target.email, target.is_active, target.password, list(target.groups.all()),
             list(target.organisation_employers.all()))  # fmt: skip
    assert after == before


@pytest.mark.parametrize("target_name", ("rcpch_full", "two_units"))
def test_a_unit_lead_cannot_reset_the_password_of_an_account_above_them(client, target_name):
    client = signed_in(client, "trust_full")
    target = _targets()[target_name]
    url = f"/admin/npda/npdauser/{target.pk}/password/"
    new = {"password1": "a-takeover-password", "password2": "a-takeover-password",
           "usable_password": "true"}  # fmt: skip
    assert client.post(url, new).status_code in (403, 404, 302)
    target.refresh_from_db()
    assert not target.check_password("a-takeover-password")
    for page in ("change", "delete"):
        client.post(f"/admin/npda/npdauser/{target.pk}/{page}/", {"post": "yes",
                    "email": "attacker@example.com", "is_active": ""})  # fmt: skip
    target.refresh_from_db()
    assert target.is_active and target.email != "attacker@example.com"


def test_a_unit_lead_still_manages_their_own_units_people(client):
    client = signed_in(client, "trust_full")
    nurse = user_in_group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, ["PZ041"])
    response = client.post(f"/accounts/users/{nurse.pk}/", _account_post(nurse, first_name="N"))
    assert response.status_code == 302
    url = f"/admin/npda/npdauser/{nurse.pk}/password/"
    new = {"password1": "a-brand-new-password", "password2": "a-brand-new-password",
           "usable_password": "true"}  # fmt: skip
    assert client.post(url, new).status_code == 302
    nurse.refresh_from_db()
    assert nurse.first_name == "N" and nurse.check_password("a-brand-new-password")


@pytest.mark.parametrize("role", ("trust_full", "trust_edit", "trust_view"))
def test_the_admins_autocomplete_never_lists_another_units_child(client, two_units, role):
    signed_in(client, role)
    theirs = two_units["theirs"].patient
    for model, field in (("visit", "patient"), ("site", "patient"), ("submission", "patients")):
        query = {"app_label": "npda", "model_name": model, "field_name": field, "term": ""}
        response = client.get("/admin/autocomplete/", query)
        assert response.status_code in (403, 404) or f'"id": "{theirs.pk}"' not in (
            response.content.decode())  # fmt: skip


# Issue 21's actions: who may use, discard or restore a version, sign off or reopen a year.
ACTIONS = ("use", "discard", "restore", "sign off", "reopen")
# role: the actions it may take on PZ041's 2024-25 data
MAY = {
    "rcpch_full": {"use", "discard", "restore", "reopen"},
    "rcpch_edit": {"use", "discard", "restore"},
    "rcpch_view": set(),
    "trust_full": {"use", "discard", "restore", "sign off"},
    "trust_edit": {"use", "discard", "restore"},
    "trust_view": set(),
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_each_role_may_take_only_its_own_submission_actions(client, large_units, role, action):
    from npda.submissions import sign_off as sign_offs
    from npda.submissions.records import pack
    from npda.submissions.store import make_active
    from npda.submissions.versions import TO_USE, check_upload
    from tests.csv_files import make_csv, row

    period, _ = large_units
    period.is_open = True  # the roles' rules, not a closed year's, are under test
    period.save()
    unit = m.PaediatricDiabetesUnit.objects.get(pk="PZ041")
    earlier = m.Submission.objects.get(paediatric_diabetes_unit=unit, audit_period=period,
                                       is_active=True)  # fmt: skip
    m.SubmissionRecords.objects.create(submission=earlier, packed=pack([], []))  # restorable
    draft = check_upload(make_csv([row()]), "a.csv", unit, period).draft
    if action == "restore":  # the draft made the data: the earlier version is history
        make_active(draft, by=None, action="confirmed", expected=TO_USE)
    if action == "reopen":
        sign_offs.sign_off(unit, period, user_in_group(GROUPS["trust_full"], ["PZ041"]))
    signed_in(client, role)
    year = period.start_date.year
    url, data = {
        "use": (f"/submissions/{draft.pk}/use/", {}),
        "discard": (f"/submissions/{draft.pk}/discard/", {}),
        "restore": (f"/submissions/history/PZ041/{year}/restore/",
                    {"version": earlier.pk, "reason": "checking who may"}),
        "sign off": (f"/submissions/sign-off/PZ041/{year}/", {"confirm": "yes"}),
        "reopen": (f"/submissions/sign-off/PZ041/{year}/reopen/", {"reason": "checking who may"}),
    }[action]  # fmt: skip
    response = client.post(url, data)
    done = {
        "use": lambda: m.Submission.objects.get(pk=draft.pk).is_active,
        "discard": lambda: m.Submission.objects.get(pk=draft.pk).status == "discarded",
        "restore": lambda: m.Submission.objects.get(pk=earlier.pk).is_active,
        "sign off": lambda: sign_offs.standing_sign_off(unit, period) is not None,
        "reopen": lambda: sign_offs.standing_sign_off(unit, period) is None,
    }[action]()
    allowed = action in MAY[role]
    assert done == allowed, (role, action, response.status_code)
    assert (response.status_code == 302) == allowed
    assert response.status_code in (302, 400, 403)
