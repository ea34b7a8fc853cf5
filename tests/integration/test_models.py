"""Database constraints of the audit tables."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, IntegrityError, connection, transaction

from constants.groups import GROUP_PERMISSIONS, KPI_JOB_PERMISSIONS, GroupName
from constants.kpis import MEASURES
from npda.data_model import models as m
from tests.factories import (
    AuditPeriodFactory,
    NPDAUserFactory,
    PatientFactory,
    SiteFactory,
    SubmissionFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db


def test_a_child_has_at_most_one_active_site():
    site = SiteFactory()
    other_unit = m.PaediatricDiabetesUnit.objects.get(pz_code="PZ001")
    SiteFactory(patient=site.patient, paediatric_diabetes_unit=other_unit, is_active=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        SiteFactory(patient=site.patient, paediatric_diabetes_unit=other_unit, is_active=True)
    assert site.patient.sites.count() == 2


def test_a_unit_has_one_active_submission_per_period():
    first = SubmissionFactory()
    SubmissionFactory(audit_period=first.audit_period, is_active=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        SubmissionFactory(audit_period=first.audit_period, is_active=True)
    next_year = AuditPeriodFactory(year=2025)
    SubmissionFactory(audit_period=next_year, is_active=True)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (dt.date(2024, 4, 2), dt.date(2025, 3, 31)),
        (dt.date(2024, 4, 1), dt.date(2025, 3, 30)),
        (dt.date(2024, 4, 1), dt.date(2026, 3, 31)),
        (dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
    ],
)
def test_audit_periods_run_from_1_april_to_31_march(start, end):
    with pytest.raises(IntegrityError), transaction.atomic():
        m.AuditPeriod.objects.create(start_date=start, end_date=end, slug="bad")


def test_a_valid_audit_period_and_its_dataset_year():
    assert AuditPeriodFactory(year=2024).dataset_year == 2021
    assert AuditPeriodFactory(year=2026).dataset_year == 2026
    assert str(AuditPeriodFactory(year=2025)) == "2025-2026"


def test_a_patient_needs_an_identifier():
    PatientFactory(nhs_number=None, unique_reference_number="JSY-0001")
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory(nhs_number=None, unique_reference_number=None)


def test_invalid_clinical_values_are_stored_with_their_errors():
    """Validation failures are kept (data-dictionary.md §1), so the table does not refuse them."""
    visit = VisitFactory(
        hba1c=250,
        hba1c_format=1,
        hba1c_date=dt.date(2024, 6, 6),
        is_valid=False,
        errors={"hba1c": [{"code": "E12", "message": "outside the accepted range"}]},
    )
    visit.refresh_from_db()
    assert visit.hba1c == 250 and visit.errors["hba1c"][0]["code"] == "E12"


def test_kpi_has_a_state_column_for_every_measure():
    fields = {f.name for f in m.KPI._meta.fields}
    assert {measure.field_name for measure in MEASURES} <= fields
    kpi = m.KPI.objects.create(
        patient=PatientFactory(),
        audit_period=AuditPeriodFactory(),
        paediatric_diabetes_unit_id="PZ041",
        calculation_date=dt.date(2025, 3, 31),
        computed_at="2025-04-01T00:00Z",
        kpi_32_1=m.KPIState.PASSED,
        health_checks_done=3,
        health_checks_expected=3,
    )
    kpi.refresh_from_db()
    assert kpi.kpi_32_1 == m.KPIState.PASSED and kpi.kpi_1 == m.KPIState.INELIGIBLE


def test_measures_are_seeded_from_the_registry():
    assert list(m.Measure.objects.values_list("number", flat=True)) == [x.number for x in MEASURES]
    assert m.Measure.objects.get(number="44").polarity == "down"


@pytest.mark.parametrize("model", m.KPI_AGGREGATION_MODELS, ids=lambda x: x.__name__)
def test_aggregation_denominator_is_passed_failed_incomplete(model):
    period = AuditPeriodFactory()
    area = {}
    if model.AREA_FIELD:
        related = model._meta.get_field(model.AREA_FIELD).related_model
        area = {model.AREA_FIELD: related.objects.first()}
    common = dict(audit_period=period, measure_id="25", computed_at="2025-04-01T00:00Z", **area)
    model.objects.create(
        passed=3, failed=1, incomplete=1, ineligible=4, denominator=5, value=0.6, **common
    )
    with pytest.raises(IntegrityError), transaction.atomic():  # denominator = the three states
        model.objects.create(
            passed=3, failed=1, incomplete=1, ineligible=4, denominator=6, **common
        )
    with pytest.raises(IntegrityError), transaction.atomic():  # one live row per area/measure
        model.objects.create(
            passed=3, failed=1, incomplete=1, ineligible=4, denominator=5, **common
        )


def test_visit_activity_rows_cannot_be_updated_or_deleted():
    activity = m.VisitActivity.objects.create(activity=m.ActivityType.LOGIN, success=True)
    with pytest.raises(DatabaseError, match="append-only: UPDATE refused"), transaction.atomic():
        m.VisitActivity.objects.filter(pk=activity.pk).update(success=False)
    with pytest.raises(DatabaseError, match="append-only: DELETE refused"), transaction.atomic():
        m.VisitActivity.objects.filter(pk=activity.pk).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM npda_visitactivity")  # not even in raw SQL
    activity.refresh_from_db()
    assert activity.success is True


def test_user_emails_are_unique_whatever_the_case():
    user = NPDAUserFactory(email="Clinician@Example.NHS.uk")
    assert user.email == "clinician@example.nhs.uk"
    with pytest.raises(IntegrityError), transaction.atomic():
        m.NPDAUser.objects.bulk_create([m.NPDAUser(email="CLINICIAN@example.nhs.uk")])


def test_six_groups_are_seeded_with_their_permissions():
    for name, codenames in GROUP_PERMISSIONS.items():
        group = Group.objects.get(name=name)
        of_npda = group.permissions.filter(content_type__app_label="npda")
        assert set(of_npda.values_list("codename", flat=True)) == codenames
    assert Group.objects.filter(name__in=list(GroupName)).count() == 6


def test_the_audit_team_sees_kpi_runs_and_its_full_access_group_sets_outlier_policies():
    for name, codenames in KPI_JOB_PERMISSIONS.items():
        group = Group.objects.get(name=name)
        kpi_jobs = group.permissions.filter(content_type__app_label="aggregation")
        assert set(kpi_jobs.values_list("codename", flat=True)) == codenames
    viewer, trust_lead = NPDAUserFactory(), NPDAUserFactory()
    viewer.groups.add(Group.objects.get(name=GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY))
    trust_lead.groups.add(Group.objects.get(name=GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS))
    viewer, trust_lead = (m.NPDAUser.objects.get(pk=u.pk) for u in (viewer, trust_lead))
    assert viewer.has_perm("aggregation.view_kpirun")
    assert not viewer.has_perm("aggregation.change_outlierpolicy")
    assert not trust_lead.has_perm("aggregation.view_kpirun")


def test_group_permissions_reach_the_user():
    user = NPDAUserFactory()
    user.groups.add(Group.objects.get(name=GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS))
    user = m.NPDAUser.objects.get(pk=user.pk)
    assert user.has_perm("npda.upload_submission")
    assert user.has_perm("npda.change_visit")
    assert not user.has_perm("npda.view_all_units")
    assert not user.has_perm("npda.delete_patient")
