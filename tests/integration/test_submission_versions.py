"""Uploads that never surprise (issue 21): a checked draft compared with the unit's data, made
the data or discarded (or left to expire), any earlier version restored, the year signed off
and reopened, the audit team's tracker, and every refusal writing nothing."""

import datetime as dt
import html
import io
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from aggregation.models import RecomputeRequest
from constants.groups import GroupName
from constants.sections import VISIT_SECTIONS
from npda.data_model import models as m
from npda.submissions import sign_off as sign_offs
from npda.submissions.reports import errors_csv
from npda.submissions.services import import_submission
from npda.submissions.versions import (
    VersionRefused,
    check_upload,
    confirm_draft,
    discard_draft,
    expire_drafts,
    restore_version,
)
from tests.csv_files import make_csv, row
from tests.factories import AuditPeriodFactory, synthetic_nhs_number, user_in_group

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 6, 1)
A, B, C, D, E = (synthetic_nhs_number(i) for i in range(5))


@pytest.fixture
def unit():
    return m.PaediatricDiabetesUnit.objects.get(pz_code="PZ041")


@pytest.fixture
def period():
    return AuditPeriodFactory(year=2024, is_open=True)


@pytest.fixture
def nurse():
    return user_in_group(GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS, ["PZ041"])


@pytest.fixture
def lead():
    return user_in_group(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ041"])


def child_rows(nhs: str, **changes) -> list[dict]:
    return [row(nhs_number=nhs, visit_date=f"{10 + i}/06/2024", hba1c_date=f"{10 + i}/06/2024",
                **changes) for i in range(2)]  # fmt: skip


FIRST = make_csv(child_rows(A) + child_rows(B) + child_rows(C) + child_rows(E))
# A's second HbA1c changed, B gone, C the same, D new, E without a valid date of birth.
SECOND_ROWS = (
    child_rows(A) + child_rows(C) + child_rows(D) + child_rows(E, date_of_birth="31/02/12")
)
SECOND_ROWS[1]["hba1c"] = "61"
SECOND = make_csv(SECOND_ROWS)


def check(content, unit, period, user=None):
    return check_upload(content, "PZ041 2024.csv", unit, period, user=user, today=TODAY)


def active(unit, period) -> m.Submission:
    return m.Submission.objects.get(paediatric_diabetes_unit=unit, audit_period=period,
                                    is_active=True)  # fmt: skip


def identifiers(submission) -> set[str]:
    return set(submission.patients.values_list("nhs_number", flat=True))


# The draft, its comparison, and making it the data -----------------------------------------------


def test_an_upload_is_a_draft_that_changes_nothing_until_it_is_used(unit, period, nurse):
    first = import_submission(FIRST, "a.csv", unit, period, today=TODAY)
    visits_before = set(m.Visit.objects.values_list("pk", flat=True))
    RecomputeRequest.objects.all().delete()
    checked = check(SECOND, unit, period, nurse)
    draft = checked.draft
    assert checked.result.accepted and draft.status == "draft" and not draft.is_active
    assert active(unit, period).pk == first.submission_id
    assert set(m.Visit.objects.values_list("pk", flat=True)) == visits_before
    assert not RecomputeRequest.objects.exists()
    confirm_draft(draft, nurse)
    draft.refresh_from_db()
    assert draft.is_active and draft.status == "active"
    assert identifiers(draft) == {A, C, D, E}
    assert m.Visit.objects.filter(submission=draft).count() == 8
    old = m.Submission.objects.get(pk=first.submission_id)
    assert old.status == "superseded" and not m.Visit.objects.filter(submission=old).exists()
    assert RecomputeRequest.objects.filter(paediatric_diabetes_unit=unit).exists()
    actions = list(draft.events.values_list("action", "by"))
    assert actions == [("checked", nurse.pk), ("confirmed", nurse.pk)]
    assert list(old.events.values_list("action", flat=True)) == ["imported", "superseded"]


def test_the_comparison_of_a_hand_made_pair_of_files(unit, period):
    import_submission(FIRST, "a.csv", unit, period, today=TODAY)
    comparison = check(SECOND, unit, period).comparison
    assert comparison.added == [D] and comparison.removed == [B]
    assert comparison.changed == sorted([A, E]) and comparison.unchanged == 1
    assert (comparison.rows_before, comparison.rows_after) == (8, 8)
    losing = {loss.identifier: loss.reason for loss in comparison.losing}
    assert set(losing) == {B, E}
    assert "not in the new file" in losing[B]
    assert losing[E].startswith("would have no usable date of birth")


def test_the_first_upload_of_a_year_adds_every_child(unit, period):
    comparison = check(FIRST, unit, period).comparison
    assert comparison.against is None and comparison.added == sorted([A, B, C, E])


def test_the_draft_page_compares_and_offers_use_or_discard(client, unit, period, nurse):
    import_submission(FIRST, "a.csv", unit, period, today=TODAY)
    draft = check(SECOND, unit, period, nurse).draft
    client.force_login(nurse)
    page = client.get(reverse("submission-detail", args=[draft.pk])).content.decode()
    assert "Use this file as PZ041's 2024-25 data" in page and "Discard" in page
    assert "2 children would stop counting" in page and f"NHS number {B} is not in" in page
    assert D in page  # the unit's private view names the children
    response = client.post(reverse("submission-use", args=[draft.pk]))
    assert response.status_code == 302 and active(unit, period).pk == draft.pk
    again = client.post(reverse("submission-use", args=[draft.pk]))  # used already
    assert again.status_code == 409 and "Only a checked draft can be used" in again.content.decode()


def test_discard_changes_nothing_and_keeps_no_records(client, unit, period, nurse):
    first = import_submission(FIRST, "a.csv", unit, period, today=TODAY)
    draft = check(SECOND, unit, period, nurse).draft
    client.force_login(nurse)
    assert client.post(reverse("submission-discard", args=[draft.pk])).status_code == 302
    draft.refresh_from_db()
    assert draft.status == "discarded" and not m.SubmissionRecords.objects.filter(
        submission=draft).exists()  # fmt: skip
    assert active(unit, period).pk == first.submission_id
    with pytest.raises(VersionRefused):
        confirm_draft(draft, nurse)


def test_a_draft_left_for_seven_days_is_discarded(unit, period, nurse):
    draft = check(FIRST, unit, period, nurse).draft
    assert expire_drafts(timezone.now() + dt.timedelta(days=6)) == 0
    assert expire_drafts(timezone.now() + dt.timedelta(days=8)) == 1
    draft.refresh_from_db()
    assert draft.status == "discarded" and draft.events.last().action == "expired"
    with pytest.raises(VersionRefused, match="discarded"):
        confirm_draft(draft, nurse)
    assert not m.Submission.objects.filter(is_active=True).exists()


# Restore -----------------------------------------------------------------------------------------


def test_an_earlier_version_is_restored_with_a_reason(client, unit, period, nurse):
    first = import_submission(FIRST, "a.csv", unit, period, today=TODAY)
    confirm_draft(check(SECOND, unit, period, nurse).draft, nurse)
    old = m.Submission.objects.get(pk=first.submission_id)
    with pytest.raises(VersionRefused, match="reason"):
        restore_version(old, nurse, "  ")
    client.force_login(nurse)
    url = reverse("submission-restore", args=["PZ041", 2024])
    response = client.post(url, {"version": old.pk, "reason": "The new export lost child B"})
    assert response.status_code == 302
    assert active(unit, period).pk == old.pk and identifiers(old) == {A, B, C, E}
    assert m.Visit.objects.filter(submission=old).count() == 8
    event = old.events.last()
    assert (event.action, event.by, event.reason) == ("restored", nurse,
                                                      "The new export lost child B")  # fmt: skip
    assert m.VisitActivity.objects.filter(activity=m.ActivityType.SUBMISSION_RESTORED).exists()
    history = client.get(reverse("submission-history", args=["PZ041", 2024])).content.decode()
    assert history.count("Restore this version") == 1  # the version replaced by the restore


def test_the_data_in_use_when_versions_began_keeping_records_can_be_restored(unit, period, nurse):
    """A version stored before versions kept their checked records (migration 0019) keeps its
    rows as records when an upload replaces it, so it can be restored like any other."""
    first = import_submission(FIRST, "a.csv", unit, period, today=TODAY)
    m.SubmissionRecords.objects.filter(submission=first.submission_id).delete()
    confirm_draft(check(SECOND, unit, period, nurse).draft, nurse)
    old = m.Submission.objects.get(pk=first.submission_id)
    assert m.SubmissionRecords.objects.filter(submission=old).exists()
    restore_version(old, nurse, "Back to the data we had")
    assert active(unit, period).pk == old.pk and identifiers(old) == {A, B, C, E}
    assert m.Visit.objects.filter(submission=old).count() == 8


def test_a_versions_rows_kept_as_records_come_back_as_they_were(unit, period):
    """The rows folded into records by PostgreSQL (store.keep_form_changes) unpack to the rows'
    own values: dates and decimals as themselves, blanks left out, text and errors escaped."""
    from npda.submissions.records import unpack
    from npda.submissions.store import NOT_VISIT_VALUES, keep_form_changes

    content = make_csv(child_rows(A, height="151.5", weight="40.25")
                       + child_rows(B, hba1c="250"))  # fmt: skip
    version = m.Submission.objects.get(
        pk=import_submission(content, "a.csv", unit, period, today=TODAY).submission_id
    )
    visit = m.Visit.objects.filter(submission=version).order_by("source_row").first()
    visit.hospital_admission_other = 'Ward "7", \\ bed 2\nnight'
    visit.errors = {"hba1c": [{"code": "E12", "message": 'Value "250" is out of range'}]}
    visit.save()
    keep_form_changes(version)
    _, records = unpack(bytes(m.SubmissionRecords.objects.get(submission=version).packed))
    names = [f.attname for f in m.Visit._meta.concrete_fields if f.attname not in NOT_VISIT_VALUES]
    rows = m.Visit.objects.filter(submission=version).order_by("source_row")
    assert [[r.patient_key, r.source_row, r.fields, r.errors] for r in records] == [
        [v.patient.nhs_number, v.source_row,
         {n: getattr(v, n) for n in names if getattr(v, n) not in (None, "")}, v.errors]
        for v in rows
    ]  # fmt: skip
    first = records[0].fields
    assert first["height"] == Decimal("151.5") and isinstance(first["visit_date"], dt.date)
    assert first["hospital_admission_other"] == 'Ward "7", \\ bed 2\nnight'
    assert all("hospital_admission_other" not in r.fields for r in records[1:])  # blank


def test_a_version_replaced_before_versions_kept_records_says_why_it_cannot_be_restored(
    unit, period, nurse
):
    first = import_submission(FIRST, "a.csv", unit, period, today=TODAY)
    confirm_draft(check(SECOND, unit, period, nurse).draft, nurse)
    m.SubmissionRecords.objects.filter(submission=first.submission_id).delete()
    old = m.Submission.objects.get(pk=first.submission_id)
    with pytest.raises(VersionRefused, match="upload its file again"):
        restore_version(old, nurse, "Back to the data we had")
    assert active(unit, period).pk != old.pk


def test_a_superseded_versions_error_report_comes_from_its_own_records(unit, period, nurse):
    bad = make_csv(child_rows(A, hba1c="250"))
    first = import_submission(bad, "a.csv", unit, period, today=TODAY)
    confirm_draft(check(FIRST, unit, period, nurse).draft, nurse)
    old = m.Submission.objects.get(pk=first.submission_id)
    report = errors_csv(old).decode("utf-8-sig")
    assert report.count("E12") == 2 and A in report


# Sign-off ----------------------------------------------------------------------------------------


def test_sign_off_freezes_the_year_until_the_audit_team_reopens_it(client, unit, period, lead,
                                                                   nurse):  # fmt: skip
    first = import_submission(FIRST, "a.csv", unit, period, today=TODAY)
    draft = check(SECOND, unit, period, nurse).draft
    client.force_login(lead)
    page = html.unescape(client.get(reverse("sign-off", args=["PZ041", 2024])).content.decode())
    assert "I confirm that PZ041's data for the 2024-2025 audit year are complete" in page
    response = client.post(reverse("sign-off", args=["PZ041", 2024]), {"confirm": "yes"})
    assert response.status_code == 302
    standing = sign_offs.standing_sign_off(unit, period)
    assert standing.signed_by == lead and standing.submission_id == first.submission_id
    name = lead.get_full_name()
    refused = check(SECOND, unit, period, nurse)
    assert (
        refused.result.fatal_code == "S02"
        and f"signed off by {name}" in refused.result.fatal_message
    )
    client.force_login(nurse)
    use = client.post(reverse("submission-use", args=[draft.pk]))
    assert use.status_code == 409 and f"signed off by {name}" in use.content.decode()
    assert active(unit, period).pk == first.submission_id
    team = user_in_group(GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS)
    client.force_login(team)
    reopen = reverse("sign-off-reopen", args=["PZ041", 2024])
    assert client.post(reopen, {"reason": ""}).status_code == 400
    assert client.post(reopen, {"reason": "Unit found missing clinic letters"}).status_code == 302
    assert sign_offs.standing_sign_off(unit, period) is None
    confirm_draft(draft, nurse)  # open again
    assert active(unit, period).pk == draft.pk
    sign_offs.sign_off(unit, period, lead)  # the lead signs again
    assert m.SignOff.objects.filter(paediatric_diabetes_unit=unit).count() == 2
    kinds = set(m.VisitActivity.objects.values_list("activity", flat=True))
    assert {m.ActivityType.YEAR_SIGNED_OFF, m.ActivityType.YEAR_REOPENED} <= kinds


def test_no_version_is_restored_into_a_signed_off_year(client, unit, period, lead, nurse):
    first = import_submission(FIRST, "a.csv", unit, period, today=TODAY)
    confirm_draft(check(SECOND, unit, period, nurse).draft, nurse)
    in_use = active(unit, period)
    sign_offs.sign_off(unit, period, lead)
    client.force_login(nurse)
    restore = reverse("submission-restore", args=["PZ041", 2024])
    response = client.post(restore, {"version": first.submission_id, "reason": "It lost B"})
    assert response.status_code == 400
    assert f"signed off by {lead.get_full_name()}" in html.unescape(response.content.decode())
    assert active(unit, period).pk == in_use.pk


def test_the_history_says_who_made_each_version_when_it_was_in_use_and_links_its_results(
    client, unit, period, nurse
):
    from aggregation.releases import publish_release
    from aggregation.services import compute_kpis

    first = check(FIRST, unit, period, nurse).draft
    confirm_draft(first, nurse)
    compute_kpis(period, calculation_date=TODAY)
    release = publish_release(period, "provisional", as_at=dt.date(2024, 9, 30), today=TODAY)
    second = check(SECOND, unit, period, nurse).draft
    confirm_draft(second, nurse)
    client.force_login(nurse)
    response = client.get(reverse("submission-history", args=["PZ041", 2024]))
    rows = {row.version.pk: row for row in response.context["rows"]}
    old, new = rows[first.pk], rows[second.pk]
    assert old.made_by == new.made_by == nurse.get_full_name()
    [(old_from, old_to)], [(new_from, new_to)] = old.spans, new.spans
    assert old_from < old_to <= new_from and new_to is None  # in use from ... to ...; to now
    assert old.releases == [release] and new.releases == []
    page = response.content.decode()
    for version in (first, second):
        assert reverse("submission-errors-csv", args=[version.pk]) in page
    assert f"/units/PZ041/?release={release.pk}" in page
    assert "/units/PZ041/?release=live-2024" in page  # the version in use: live results


def test_sign_off_is_the_leads_after_the_year_ends_with_data(client, unit, lead, nurse):
    ended = AuditPeriodFactory(year=2024, is_open=True)
    with pytest.raises(sign_offs.SignOffRefused, match="no data"):
        sign_offs.sign_off(unit, ended, lead)
    import_submission(FIRST, "a.csv", unit, ended, today=TODAY)
    with pytest.raises(sign_offs.SignOffRefused, match="lead"):
        sign_offs.sign_off(unit, ended, nurse)
    with pytest.raises(sign_offs.SignOffRefused, match="ends on 31 March 2025"):
        sign_offs.sign_off(unit, ended, lead, today=dt.date(2025, 3, 31))
    other_lead = user_in_group(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ002"])
    with pytest.raises(sign_offs.SignOffRefused, match="lead"):
        sign_offs.sign_off(unit, ended, other_lead)
    client.force_login(lead)
    unticked = client.post(reverse("sign-off", args=["PZ041", 2024]), {})
    assert unticked.status_code == 400 and "Tick the declaration" in unticked.content.decode()
    assert not m.SignOff.objects.exists()
    editor = user_in_group(GroupName.RCPCH_AUDIT_TEAM_EDIT_ACCESS)
    sign_offs.sign_off(unit, ended, lead)
    with pytest.raises(sign_offs.SignOffRefused, match="full-access"):
        sign_offs.reopen(unit, ended, editor, "a long enough reason")


# Refusals and access -----------------------------------------------------------------------------


def test_another_units_versions_are_out_of_reach(client, unit, period, nurse):
    other_unit = m.PaediatricDiabetesUnit.objects.get(pz_code="PZ002")
    theirs = import_submission(make_csv([row(paediatric_diabetes_unit="PZ002")]), "b.csv",
                               other_unit, period, today=TODAY)  # fmt: skip
    their_draft = check_upload(make_csv([row(paediatric_diabetes_unit="PZ002")]), "b.csv",
                               other_unit, period, today=TODAY).draft  # fmt: skip
    client.force_login(nurse)
    for url in (reverse("submission-detail", args=[their_draft.pk]),
                reverse("submission-history", args=["PZ002", 2024]),
                reverse("sign-off", args=["PZ002", 2024]),
                reverse("data-quality", args=["PZ002", 2024])):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("submission-use", args=[their_draft.pk])).status_code == 404
    assert client.post(reverse("submission-discard", args=[their_draft.pk])).status_code == 404
    # A version of another unit, or of another year, posted to this unit's history.
    import_submission(FIRST, "a.csv", unit, period, today=TODAY)
    later = AuditPeriodFactory(year=2025, is_open=True)
    next_year = make_csv([row(nhs_number=A, visit_date="10/06/2025", hba1c_date="10/06/2025")])
    other_year = import_submission(next_year, "c.csv", unit, later, today=dt.date(2025, 7, 1))
    url = reverse("submission-restore", args=["PZ041", 2024])
    for version in (theirs.submission_id, other_year.submission_id, "abc", "", "²", "0" * 5000):
        response = client.post(url, {"version": version, "reason": "a good reason"})
        text = html.unescape(response.content.decode())
        assert response.status_code == 400 and "not one of PZ041's 2024-2025 versions" in text
    assert active(other_unit, period).pk == theirs.submission_id


BAD_YEARS = ("0", "10000", "99999", "9" * 20)  # a date cannot hold them: not a 500


def test_a_year_no_date_can_hold_is_a_404_on_every_year_page(client, unit, period, lead):
    import_submission(FIRST, "a.csv", unit, period, today=TODAY)
    client.force_login(lead)
    for year in BAD_YEARS:
        for name in ("submission-history", "sign-off", "data-quality", "data-quality-xlsx"):
            url = reverse(name, args=["PZ041", 2024]).replace("2024", year)
            assert client.get(url).status_code == 404, url
        for name in ("submission-restore", "sign-off", "sign-off-reopen"):
            url = reverse(name, args=["PZ041", 2024]).replace("2024", year)
            response = client.post(url, {"version": "1", "reason": "a good reason"})
            assert response.status_code == 404, url
    assert active(unit, period).events.count() == 1  # imported, nothing since


@pytest.mark.parametrize("year", [*BAD_YEARS, "²", "٣", "1" * 5000, "abc", "-1"])
def test_the_tracker_of_a_year_it_cannot_show_is_a_404(client, year):
    client.force_login(user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY))
    assert client.get(reverse("tracker"), {"year": year}).status_code == 404


def test_a_workspace_year_it_cannot_show_is_a_404(client, nurse):
    client.force_login(nurse)
    for year in (*BAD_YEARS, "²", "1" * 5000):
        response = client.get(reverse("workspace", args=["PZ041"]), {"year": year})
        assert response.status_code == 404, year


def test_the_pages_of_a_year_answer_only_their_methods(client, unit, period, nurse):
    client.force_login(nurse)
    assert client.delete(reverse("submission-history", args=["PZ041", 2024])).status_code == 405
    assert client.post(reverse("submission-history", args=["PZ041", 2024])).status_code == 405
    assert client.put(reverse("sign-off", args=["PZ041", 2024])).status_code == 405


def test_a_draft_past_its_days_cannot_be_discarded_by_hand_it_has_expired(
    client, unit, period, nurse
):
    draft = check(FIRST, unit, period, nurse).draft
    old = timezone.now() - dt.timedelta(days=settings.NPDA_DRAFT_DAYS + 1)
    m.Submission.objects.filter(pk=draft.pk).update(submitted_at=old)
    client.force_login(nurse)
    response = client.post(reverse("submission-discard", args=[draft.pk]))
    assert response.status_code == 409
    assert list(draft.events.values_list("action", flat=True)) == ["checked", "expired"]


def test_view_only_staff_see_versions_but_change_nothing(client, unit, period):
    draft = check(FIRST, unit, period).draft
    viewer = user_in_group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, ["PZ041"])
    client.force_login(viewer)
    page = client.get(reverse("submission-detail", args=[draft.pk])).content.decode()
    assert "Use this file" not in page
    assert client.post(reverse("submission-use", args=[draft.pk])).status_code == 403
    assert client.post(reverse("submission-discard", args=[draft.pk])).status_code == 403
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_discarding_a_version_in_use_is_refused(unit, period, nurse):
    first = import_submission(FIRST, "a.csv", unit, period, today=TODAY)
    with pytest.raises(VersionRefused, match="in use"):
        discard_draft(m.Submission.objects.get(pk=first.submission_id), nurse)


# The command line --------------------------------------------------------------------------------


def test_check_on_the_command_line_writes_nothing_and_prints_the_comparison(unit, period,
                                                                            tmp_path):  # fmt: skip
    import_submission(FIRST, "a.csv", unit, period, today=TODAY)
    before = (m.Submission.objects.count(), m.Visit.objects.count())
    path = tmp_path / "second.csv"
    path.write_bytes(SECOND)
    out = StringIO()
    call_command("import_submission", str(path), "--pdu", "PZ041", "--audit-year", "2024",
                 "--check", stdout=out, stderr=StringIO())  # fmt: skip
    text = out.getvalue()
    assert "1 children added, 1 removed, 2 changed, 1 unchanged" in text
    assert f"child {B} is not in the new file" in text and "Nothing was kept" in text
    assert (m.Submission.objects.count(), m.Visit.objects.count()) == before
    out = StringIO()
    call_command("import_submission", str(path), "--pdu", "PZ041", "--audit-year", "2024",
                 "--json", stdout=out)  # fmt: skip
    result = json.loads(out.getvalue())
    assert result["outcome"] == "accepted" and result["comparison"]["removed"] == [B]
    assert active(unit, period).pk == result["submission_id"]  # without --check: in use at once


# The tracker -------------------------------------------------------------------------------------


def test_the_tracker_shows_every_units_status(client, period, lead):
    units = {code: m.PaediatricDiabetesUnit.objects.get(pz_code=code)
             for code in ("PZ041", "PZ002", "PZ004")}  # fmt: skip
    import_submission(FIRST, "a.csv", units["PZ041"], period, today=TODAY)
    sign_offs.sign_off(units["PZ041"], period, lead)
    import_submission(make_csv([row(paediatric_diabetes_unit="PZ002")]), "b.csv",
                      units["PZ002"], period, today=TODAY)  # fmt: skip
    check_upload(make_csv([row(paediatric_diabetes_unit="PZ004")]), "c.csv", units["PZ004"],
                 period, today=TODAY)  # fmt: skip
    client.force_login(user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY))
    page = client.get(reverse("tracker"), {"year": 2024})
    rows = {r.code: r for r in page.context["rows"]}
    assert len(rows) == m.PaediatricDiabetesUnit.objects.filter(is_active=True).count()
    assert rows["PZ041"].status == "signed off" and rows["PZ041"].children == 4
    assert rows["PZ002"].status == "data" and rows["PZ004"].status == "checked draft waiting"
    assert rows["PZ003"].status == "no data" and rows["PZ003"].children is None
    assert rows["PZ041"].signed_by == lead.get_full_name()
    in_use = m.Submission.objects.get(paediatric_diabetes_unit="PZ041", is_active=True)
    assert (rows["PZ041"].last_upload, rows["PZ041"].errors) == (in_use.submitted_at,
                                                                 in_use.error_count)  # fmt: skip
    assert rows["PZ004"].last_upload is not None and rows["PZ004"].errors is None  # a draft only
    assert {r.days_to_deadline for r in rows.values()} == {
        (period.deadline - timezone.localdate()).days}  # fmt: skip
    assert rows["PZ041"].completeness is None  # no results calculated yet
    from aggregation.services import compute_kpis

    compute_kpis(period, calculation_date=TODAY)
    scored = {r.code: r for r in client.get(reverse("tracker"), {"year": 2024}).context["rows"]}
    progress = m.AuditProgress.objects.filter(audit_period=period, patient__submissions=in_use)
    done = sum(p.completed_fields for p in progress)
    expected = sum(p.expected_fields for p in progress)
    assert scored["PZ041"].completeness == round(100 * done / expected, 1)
    assert 0 < scored["PZ041"].completeness < 100 and scored["PZ003"].completeness is None
    no_data = client.get(reverse("tracker"), {"year": 2024, "status": "no data"}).context["rows"]
    assert "PZ041" not in {r.code for r in no_data} and "PZ003" in {r.code for r in no_data}
    by_children = client.get(reverse("tracker"), {"year": 2024, "sort": "-children"})
    assert [r.code for r in by_children.context["rows"]][:2] == ["PZ041", "PZ002"]
    csv_text = client.get(reverse("tracker"), {"year": 2024, "format": "csv"}).content
    assert b"PZ041" in csv_text and b"signed off" in csv_text
    assert client.get(reverse("tracker"), {"year": "x"}).status_code == 404
    client.force_login(lead)
    assert client.get(reverse("tracker")).status_code == 403


# The data-quality report -------------------------------------------------------------------------


def test_the_data_quality_report_and_its_workbook(client, unit, period, nurse):
    from openpyxl import load_workbook

    from aggregation.services import compute_kpis

    rows = [*child_rows(A), row(nhs_number=C, hba1c="250", diagnosis_date="01/05/2024")]
    import_submission(make_csv(rows), "a.csv", unit, period, today=TODAY)
    other = m.PaediatricDiabetesUnit.objects.get(pz_code="PZ002")
    import_submission(make_csv([row(nhs_number=A, paediatric_diabetes_unit="PZ002")]), "b.csv",
                      other, period, today=TODAY)  # fmt: skip
    compute_kpis(period, calculation_date=TODAY)
    client.force_login(nurse)
    page = client.get(reverse("data-quality", args=["PZ041", 2024]))
    report = page.context["report"]
    assert report.overall.expected > 0 and 0 < report.overall.percent < 100
    hba1c = next(f for f in report.fields if f.name == "hba1c")
    assert (hba1c.completed, hba1c.expected) == (1, 2)  # C's only HbA1c has an error
    # Beside England and Wales: every unit's data in use (PZ002's child has an HbA1c).
    assert (hba1c.national_completed, hba1c.national_expected) == (2, 3)
    # Each form section adds up its fields, the unit's and England and Wales's.
    fields = {f.name: f for f in report.fields}
    assert report.sections and "hba1c" in [s.name for s in report.sections]
    for section in report.sections:
        within = [fields[n] for n in VISIT_SECTIONS[section.name.replace(" ", "_")] if n in fields]
        for part in ("completed", "expected", "national_completed", "national_expected"):
            assert getattr(section, part) == sum(getattr(f, part) for f in within), section.name
    assert dict(report.errors_by_rule and [(c, n) for c, _, n in report.errors_by_rule]) == {
        "E12": 1}  # fmt: skip
    gaps = {n.identifier: n.note for n in report.quarter_gaps}
    assert gaps[A] == "no contact in July to September, October to December, January to March"
    assert [(n.identifier, n.note) for n in report.in_other_units] == [
        (A, "also in another unit's data for this year")]  # fmt: skip
    assert [n.identifier for n in report.incomplete_year] == [C]  # diagnosed in the year
    team = user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY)
    client.force_login(team)
    named = client.get(reverse("data-quality", args=["PZ041", 2024])).context["report"]
    assert named.in_other_units[0].note == "also in the data of PZ002"
    client.force_login(nurse)
    download = client.get(reverse("data-quality-xlsx", args=["PZ041", 2024]))
    assert download["Cache-Control"] == "no-store"
    book = load_workbook(io.BytesIO(download.content))
    assert book.sheetnames == ["Completeness", "Quarters without contact", "In other units",
                               "Incomplete year of care", "Original data", "Data with errors",
                               "Errors"]  # fmt: skip
    assert m.VisitActivity.objects.filter(activity=m.ActivityType.REPORT_DOWNLOADED,
                                          user=nurse).exists()  # fmt: skip


# A final release and the deadline ----------------------------------------------------------------


def test_a_final_release_waits_for_the_deadline_unless_forced_with_a_reason(large_units, lead):
    from django.core.management.base import CommandError

    from aggregation.models import Release

    period, _ = large_units
    period.submission_deadline = timezone.localdate() + dt.timedelta(days=10)
    period.save()
    with pytest.raises(CommandError, match="deadline"):
        call_command("publish_aggregates", "--audit-year", "2024", verbosity=0)
    with pytest.raises(CommandError, match="--reason"):
        call_command("publish_aggregates", "--audit-year", "2024", "--force", verbosity=0)
    assert not Release.objects.exists()
    sign_offs.sign_off(m.PaediatricDiabetesUnit.objects.get(pk="PZ041"), period, lead)
    call_command("publish_aggregates", "--audit-year", "2024", "--force", "--reason",
                 "Ministerial briefing", verbosity=0)  # fmt: skip
    notes = Release.objects.get().notes
    units = m.PaediatricDiabetesUnit.objects.filter(is_active=True).count()
    assert f"Sign-off: 1 of {units} units had signed off." in notes
    assert "Not signed off: " in notes and "PZ002" in notes and "PZ041," not in notes
    assert "Published before the submission deadline" in notes and "Ministerial briefing" in notes
