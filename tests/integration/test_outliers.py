"""The formal outliers of a final release and the outlier process record."""

import datetime as dt

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from aggregation import selectors
from aggregation.models import OutlierProcessStep
from aggregation.releases import publish_release
from aggregation.services import OutlierStepError, compute_kpis, record_outlier_step
from constants.groups import GroupName
from tests.factories import user_in_group
from tests.kpi_cohort import Cohort, E, hba1c

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def flagged():
    """Four units of 30 children with HbA1c around 55 mmol/mol and one (PZ001) around 85:
    PZ001 is far beyond the limits on the type 1 mean HbA1c, a formal outlier measure."""
    units = {code: Cohort(code) for code in ("PZ041", "PZ002", "PZ004", "PZ003", "PZ001")}
    period = units["PZ041"].period
    for code, cohort in units.items():
        base = 85 if code == "PZ001" else 55
        for i in range(30):
            cohort.child(rows=(hba1c(base + i % 5),))
    compute_kpis(period, calculation_date=E)
    return publish_release(period, "final", today=TODAY)


def test_the_outliers_are_the_formal_measures_alerts_and_alarms(flagged):
    team = user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY)
    _, cases = selectors.outliers(team, flagged.pk)
    hba1c_cases = [c for c in cases if c.point.measure == "44"]
    assert [c.point.area_code for c in hba1c_cases] == ["PZ001"]
    point = hba1c_cases[0].point
    assert point.outlier in ("alert", "alarm") and point.outlier_direction == "negative"
    assert point.value > point.funnel_limits_95[1] and point.breakdown == "diabetes_type"
    assert all(c.point.measure in ("32.1", "44") for c in cases)


def test_only_the_audit_team_reads_and_its_full_and_edit_groups_record(client, flagged):
    url = f"/releases/{flagged.pk}/outliers/"
    assert client.get(url).status_code == 302  # to log in
    client.force_login(user_in_group(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, units=("PZ001",)))
    assert client.get(url).status_code == 403
    viewer = user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY)
    client.force_login(viewer)
    page = client.get(url)
    assert page.status_code == 200 and "PZ001" in page.content.decode()
    assert "Record step" not in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]
    step = {"unit": "PZ001", "measure": "44", "step": "lead_notified",
            "taken_on": TODAY.isoformat(), "notes": "Letter sent"}  # fmt: skip
    assert client.post(url, step).status_code == 403
    client.force_login(user_in_group(GroupName.RCPCH_AUDIT_TEAM_EDIT_ACCESS))
    response = client.post(url, step)
    assert response.status_code == 302
    recorded = OutlierProcessStep.objects.get()
    assert (recorded.unit_id, recorded.measure_id, recorded.step, recorded.notes) == (
        "PZ001", "44", "lead_notified", "Letter sent",
    )  # fmt: skip
    assert "Letter sent" in client.get(url).content.decode()
    # The record stays as written: the database refuses edits and deletions.
    for change in (lambda q: q.update(notes="Changed"), lambda q: q.delete()):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change(OutlierProcessStep.objects.filter(pk=recorded.pk))
    recorded.refresh_from_db()
    assert recorded.notes == "Letter sent"


def test_bad_steps_are_refused_with_a_reason_and_nothing_is_written(client, flagged):
    editor = user_in_group(GroupName.RCPCH_AUDIT_TEAM_EDIT_ACCESS)
    client.force_login(editor)
    url = f"/releases/{flagged.pk}/outliers/"
    not_flagged = {"unit": "PZ041", "measure": "44", "step": "lead_notified",
                   "taken_on": TODAY.isoformat()}  # fmt: skip
    response = client.post(url, not_flagged)
    assert response.status_code == 400
    assert "PZ041 is not an alert or alarm on 44" in response.content.decode()
    future = {
        **not_flagged,
        "unit": "PZ001",
        "taken_on": (TODAY + dt.timedelta(days=2)).isoformat(),
    }
    assert "between the release" in client.post(url, future).content.decode()
    assert client.post(url, {**future, "taken_on": "not a date"}).status_code == 400
    with pytest.raises(OutlierStepError):
        record_outlier_step(editor, flagged.pk, "PZ001", "44", "sang a song", TODAY)
    assert not OutlierProcessStep.objects.exists()


def test_provisional_releases_have_no_outliers(flagged):
    provisional = publish_release(flagged.audit_period, "provisional", as_at=dt.date(2024, 9, 30),
                                  today=TODAY)  # fmt: skip
    with pytest.raises(selectors.NotFound):
        selectors.outliers(user_in_group(GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS), provisional.pk)
