"""Audit periods are reference data: seeded from 2020-21 to the current year, without a demo."""

import datetime as dt

import pytest
from django.utils import timezone

from npda.data_model import models as m
from npda.data_model.audit_periods import ensure_audit_periods
from npda.data_model.seeding import audit_year_of

pytestmark = pytest.mark.django_db


def test_every_period_from_2020_to_the_current_one_is_known_without_a_demo():
    current = audit_year_of(timezone.localdate())
    years = sorted(p.start_date.year for p in m.AuditPeriod.objects.all())
    assert years[: current - 2019] == list(range(2020, current + 1))
    assert str(m.AuditPeriod.objects.get(start_date__year=2024)) == "2024-2025"


def test_the_new_period_appears_when_its_first_of_april_passes():
    assert ensure_audit_periods(dt.date(2031, 3, 31)) > 0  # up to 2030-31
    assert not m.AuditPeriod.objects.filter(start_date__year=2031).exists()
    assert ensure_audit_periods(dt.date(2031, 4, 1)) == 1
    new = m.AuditPeriod.objects.get(start_date__year=2031)
    assert (new.end_date, new.slug, new.is_open) == (dt.date(2032, 3, 31), "2031-2032", True)
    assert ensure_audit_periods(dt.date(2031, 4, 2)) == 0  # idempotent


def test_an_ended_period_created_late_is_closed_and_existing_ones_are_left_alone():
    m.AuditPeriod.objects.filter(start_date__year=2020).delete()
    m.AuditPeriod.objects.filter(start_date__year=2021).update(is_open=True)
    ensure_audit_periods(dt.date(2026, 12, 1))
    assert m.AuditPeriod.objects.get(start_date__year=2020).is_open is False
    assert m.AuditPeriod.objects.get(start_date__year=2021).is_open is True


@pytest.mark.parametrize(
    ("day", "year"),
    [("2025-03-31", 2024), ("2025-04-01", 2025), ("2026-12-01", 2026), ("2027-01-15", 2026)],
)
def test_audit_year_of_a_day(day, year):
    assert audit_year_of(dt.date.fromisoformat(day)) == year


def test_an_upload_for_a_past_year_works_on_a_database_without_the_demo(tmp_path):
    from io import StringIO

    from django.core.management import call_command

    from tests.csv_files import make_csv, row

    assert not m.Submission.objects.exists()  # no demo cohort in the test database
    upload = tmp_path / "PZ041 2024.csv"
    upload.write_bytes(make_csv([row()]))
    out = StringIO()
    call_command("import_submission", str(upload), pdu="PZ041", audit_year=2024, stdout=out)
    assert "There is no" not in out.getvalue()
    active = m.Submission.objects.get(is_active=True)
    assert str(active.audit_period) == "2024-2025"


def test_the_submission_deadline_is_the_end_of_may_after_the_year_unless_set():
    from tests.factories import AuditPeriodFactory

    period = AuditPeriodFactory(year=2024)
    assert period.submission_deadline is None and period.deadline == dt.date(2025, 5, 31)
    period.submission_deadline = dt.date(2025, 6, 15)
    assert period.deadline == dt.date(2025, 6, 15)
