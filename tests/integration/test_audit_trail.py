"""The audit trail records uploads and downloads of identifiable reports, with what was acted
on, and its admin list is the RCPCH team's, filterable, never editable."""

import pytest
from django.urls import reverse

from constants.groups import GroupName
from npda.data_model import models as m
from tests.csv_files import make_csv, row
from tests.factories import AuditPeriodFactory, user_in_group
from tests.integration.test_submission_pages import upload

pytestmark = pytest.mark.django_db


def test_uploads_and_report_downloads_are_recorded(client):
    period = AuditPeriodFactory(year=2024, is_open=True)
    nurse = user_in_group(GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS, ["PZ041"])
    client.force_login(nurse)
    upload(client, make_csv([row()]), period)
    submission = m.Submission.objects.get()
    client.get(reverse("submission-errors-csv", args=[submission.pk]))
    client.get(reverse("submission-errors-xlsx", args=[submission.pk]))
    upload(client, b"not,a,template\n", period)
    rows = list(m.VisitActivity.objects.filter(user=nurse).exclude(activity=m.ActivityType.LOGIN)
                .order_by("id").values_list("activity", "success", "detail"))  # fmt: skip
    report = f"of submission {submission.pk}"
    assert rows == [
        # A page upload is a checked draft first (issue 21).
        (m.ActivityType.SUBMISSION_UPLOADED, True, f"PZ041: checked as draft {submission.pk}"),
        (m.ActivityType.REPORT_DOWNLOADED, True, f"error report (csv) {report}"),
        (m.ActivityType.REPORT_DOWNLOADED, True, f"error report (xlsx) {report}"),
        (m.ActivityType.SUBMISSION_UPLOADED, False, rows[3][2]),
    ]  # fmt: skip
    assert rows[3][2].startswith("PZ041: rejected F")


def test_the_trail_is_read_by_the_rcpch_team_and_changed_by_nobody(client):
    entry = m.VisitActivity.objects.create(activity=m.ActivityType.LOGIN, success=True,
                                           detail="x")  # fmt: skip
    url = reverse("admin:npda_visitactivity_changelist")
    unit_staff = user_in_group(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ041"])
    unit_staff.is_staff = True
    unit_staff.save()
    client.force_login(unit_staff)
    assert client.get(url).status_code == 403
    team = user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY)
    team.is_staff = True
    team.save()
    client.force_login(team)
    assert client.get(url + "?activity__exact=1").status_code == 200
    change = reverse("admin:npda_visitactivity_change", args=[entry.pk])
    assert 'name="_save"' not in client.get(change).content.decode()
    delete = reverse("admin:npda_visitactivity_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert m.VisitActivity.objects.filter(pk=entry.pk).exists()
