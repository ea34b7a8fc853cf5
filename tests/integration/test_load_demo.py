"""The demo of `make run`: ended years of the same children, their KPIs and releases, made
partly in a second process; a second run does nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from aggregation.models import Release
from npda import models as m
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
    again = StringIO()
    call_command("load_demo", "--years", "2023", "2024", "--patients", "3000", stdout=again)
    assert "already loaded" in again.getvalue() and "release" not in again.getvalue()
    assert Release.objects.count() == 10


def test_the_demo_refuses_a_year_that_has_not_ended():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="has not ended"):
        call_command("load_demo", "--years", "2026")
