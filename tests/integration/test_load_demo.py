"""The demo of `make run`: ended years of the same children, their KPIs and releases, made
partly in a second process; a second run does nothing."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from aggregation.models import Release
from npda.data_model import models as m
from tests.conftest import seed_lookups

pytestmark = pytest.mark.django_db(transaction=True)  # the second process must see the data


def test_the_demo_loads_years_with_their_releases_and_a_second_run_does_nothing():
    seed_lookups()
    out = StringIO()
    call_command("load_demo", "--years", "2023", "2024", "--patients", "3000", stdout=out)
    log = out.getvalue()
    assert "2023-2024: children" in log and "2024-2025: final release as at 31 Mar 2025" in log
    releases = Release.objects.filter(superseded_at__isnull=True)
    by_year = {
        year: sorted(releases.filter(audit_period__start_date__year=year).values_list(
            "kind", "calculation_date__month"))
        for year in (2023, 2024)
    }  # fmt: skip
    expected = [("final", 3), ("provisional", 3), ("provisional", 6), ("provisional", 9),
                ("provisional", 12)]  # fmt: skip
    assert by_year == {2023: expected, 2024: expected}
    keys = {
        year: set(
            m.Submission.objects.filter(audit_period__start_date__year=year, is_active=True)
            .values_list("patients__nhs_number", flat=True)
        )
        for year in (2023, 2024)
    }  # fmt: skip
    assert len(keys[2023] & keys[2024]) > 0.8 * len(keys[2024])  # the same children
    assert m.Patient.objects.filter(imd_quintile__isnull=False).exists()
    # Every status on the tracker (issue 21): the latest ended year has a unit without data,
    # three with data not signed off (one with a draft waiting); the year before, all signed.
    from npda.submissions.tracker import tracker_rows

    statuses = {r.code: r.status for r in tracker_rows(m.AuditPeriod.objects.get(
        start_date__year=2024), today=date(2026, 12, 7))}  # fmt: skip
    assert statuses["PZ181"] == "no data" and statuses["PZ015"] == "checked draft waiting"
    assert statuses["PZ047"] == statuses["PZ156"] == "data"
    assert set(statuses.values()) == {"no data", "data", "checked draft waiting", "signed off"}
    earlier = {r.status for r in tracker_rows(m.AuditPeriod.objects.get(start_date__year=2023),
                                              today=date(2026, 12, 7))}  # fmt: skip
    assert earlier == {"signed off"}
    again = StringIO()
    call_command("load_demo", "--years", "2023", "2024", "--patients", "3000", stdout=again)
    assert "already loaded" in again.getvalue() and "release" not in again.getvalue()
    assert Release.objects.count() == 10


def test_the_demo_refuses_a_year_that_has_not_started():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="2027-2028 audit year has not started"):
        call_command("load_demo", "--years", "2027")


def test_the_demo_years_run_up_to_the_year_open_today():
    from npda.synthetic.management.commands.load_demo import demo_years

    assert demo_years(date(2026, 12, 2)) == [2022, 2023, 2024, 2025, 2026]
    assert demo_years(date(2027, 3, 31)) == [2022, 2023, 2024, 2025, 2026]
    assert demo_years(date(2027, 4, 1))[-1] == 2027


def test_the_open_year_fills_in_with_the_quarters_passed():
    """2026-27 on 2 December 2026: visits up to today, live KPIs as at today, provisional
    releases as at 30 June and 30 September, no final release."""
    from datetime import date

    from aggregation.models import KPIRun

    seed_lookups()
    today = date(2026, 12, 2)
    out = StringIO()
    try:
        call_command(
            "load_demo",
            "--years",
            "2026",
            "--patients",
            "3000",
            "--today",
            "2026-12-02",
            stdout=out,
        )
    except Exception:
        print(out.getvalue())
        raise
    period = m.AuditPeriod.objects.get(start_date=date(2026, 4, 1))
    assert period.dataset_year == 2026
    releases = Release.objects.filter(audit_period=period, superseded_at__isnull=True)
    assert sorted(releases.values_list("kind", "calculation_date")) == [
        ("provisional", date(2026, 6, 30)),
        ("provisional", date(2026, 9, 30)),
    ]
    run = KPIRun.objects.filter(audit_period=period).latest("pk")
    assert run.calculation_date == today
    latest_visit = m.Visit.objects.filter(submission__audit_period=period).latest("visit_date")
    assert latest_visit.visit_date <= today and latest_visit.dataset_year == 2026
    assert m.KPI.objects.filter(audit_period=period, kpi_21=4).exists()  # not available
    # KPI 21 is published with no figures and its note, at every level
    from aggregation.models import ReleaseAggregate

    kpi_21 = ReleaseAggregate.objects.filter(release__in=releases, measure_id="21")
    assert kpi_21.count() > 172 and set(kpi_21.values_list("value_note", flat=True)) == {
        "not collected from 2026–27"
    }
    assert not kpi_21.filter(numerator__isnull=False).exists()
    assert ReleaseAggregate.objects.filter(
        release__in=releases, measure_id="22", level="national", value__gt=0
    ).exists()


@pytest.mark.django_db  # no second process here: the test's transaction will do
def test_the_demo_lead_is_a_member_of_every_unit_again_after_the_units_were_made_again():
    """Reloading the reference data into empty tables makes the units again without their
    members: the demo's lead must still be able to sign the demo's years off."""
    from npda.submissions.sign_off import may_sign_off
    from npda.synthetic.management.commands.load_demo import demo_lead

    lead = demo_lead()
    lead.organisation_employers.clear()  # as after the units were made again
    unit = m.PaediatricDiabetesUnit.objects.filter(is_active=True).first()
    assert not may_sign_off(lead, unit)
    assert demo_lead().pk == lead.pk
    assert may_sign_off(lead, unit)
