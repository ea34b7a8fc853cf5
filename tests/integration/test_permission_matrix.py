"""Who may reach what: every role (and an anonymous visitor) against the site's pages, the
admin, the API, a Dash callback and the downloads, with the answer each should get, and a
unit's staff never reaching another unit's children by changing a URL or a callback argument.

The trust roles work for PZ041 only. Everyone here has staff status, as the attack that found
the admin unscoped gave it: staff status alone must not widen anyone's access."""

import datetime as dt
import json

import pytest

from aggregation.releases import publish_release
from constants.groups import GroupName
from dashboards.map_outputs import update_request
from npda import models as m
from tests.factories import user_in_group

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
}


@pytest.fixture
def world(large_units):
    period, _ = large_units
    release = publish_release(period, "final", today=dt.date(2026, 12, 1))
    active = m.Submission.objects.filter(audit_period=period, is_active=True)
    own = active.get(paediatric_diabetes_unit_id="PZ041")
    other = active.get(paediatric_diabetes_unit_id="PZ002")
    other_patient = m.Site.objects.filter(paediatric_diabetes_unit_id="PZ002").first().patient
    from aggregation.selectors import unit_areas

    return {
        "period": period, "release": release.pk, "own": own.pk, "other": other.pk,
        "other_patient": other_patient.pk, "icb": unit_areas("PZ041")["icb"].code,
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
