"""Releases (publish_release, publish_aggregates): frozen, benchmarked, disclosure-controlled
snapshots that supersede and never delete each other."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from aggregation import releases
from aggregation import statistics as st
from aggregation.models import (
    DisclosurePolicy,
    OutlierPolicy,
    Release,
    ReleaseAggregate,
    ReleaseArea,
    ReleaseMeasure,
    SuppressionLogEntry,
)
from aggregation.releases import ReleaseCheckError, ReleaseError, publish_release
from aggregation.services import compute_kpis
from constants import disclosure as sdc
from npda.data_model import models as m
from tests.integration.conftest import LARGE_UNITS
from tests.kpi_cohort import E, aggregate, d, hba1c

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 1)


def figure(release, level, code, measure, breakdown="", category="") -> ReleaseAggregate:
    return ReleaseAggregate.objects.get(
        release=release, level=level, area_code=code, measure_id=measure,
        breakdown=breakdown, category=category,
    )  # fmt: skip


def test_a_final_release_is_compared_with_england_and_wales_and_funnelled(large_units):
    period, _ = large_units
    release = publish_release(period, "final", today=TODAY)
    assert (release.kind, release.calculation_date, release.benchmarked) == ("final", E, True)
    assert release.disclosure_policy.label == "SDC-2" and release.is_current
    national = figure(release, "national", "EW", "25")
    assert (national.numerator, national.denominator) == (123, 190)  # national: exact
    assert national.value == pytest.approx(64.7) and national.comparison == "not compared"
    unit = figure(release, "pdu", "PZ004", "25")  # 36 / 40
    assert (unit.numerator, unit.denominator, unit.value) == (35, 40, 90.0)  # rounded to 5
    low, high = st.wilson(36, 40, st.Z95)
    assert (unit.ci95_low, unit.ci95_high) == (
        round(float(low) * 100, 1),
        round(float(high) * 100, 1),
    )
    assert unit.comparison == st.compare_three_levels(low, high, 123 / 190, "up") == "better"
    assert unit.outlier in {"within", "alert", "alarm"} and unit.funnel_n == 40
    assert unit.funnel_lower_95 < national.value < unit.funnel_upper_95
    worse = figure(release, "pdu", "PZ002", "25")  # 12 / 30
    assert worse.comparison == "worse" and worse.outlier_direction in ("negative", "")
    funnel = ReleaseMeasure.objects.get(release=release, measure_id="25").funnel
    assert funnel["k"] == 5 and funnel["target"] == pytest.approx(123 / 190)
    assert funnel["policy"]["method"] == "funnel"
    icb = ReleaseAggregate.objects.filter(release=release, level="icb", measure_id="25")
    assert icb.exists() and not icb.filter(funnel_lower_95__isnull=False).exists()
    context = figure(release, "pdu", "PZ004", "1")
    assert context.comparison == "not compared" and context.value == 40
    spread = ReleaseMeasure.objects.get(release=release, measure_id="25").unit_spread
    assert (spread["n"], spread["min"], spread["max"]) == (5, 40.0, 90.0)


def test_the_funnel_of_mean_hba1c_is_the_type_1_mean(large_units):
    period, _ = large_units
    release = publish_release(period, "final", today=TODAY)
    total = figure(release, "pdu", "PZ041", "44")
    type_1 = figure(release, "pdu", "PZ041", "44", "diabetes_type", "1")
    assert total.funnel_n is None and total.outlier == ""
    assert type_1.funnel_n == 30 and type_1.outlier in {"within", "alert", "alarm"}
    funnel = ReleaseMeasure.objects.get(release=release, measure_id="44").funnel
    assert funnel["method"] in ("normal", "additive") and funnel["sigma"] > 0
    assert type_1.funnel_lower_95 < funnel["target"] < type_1.funnel_upper_95


def test_a_release_follows_the_years_outlier_policy(large_units):
    period, _ = large_units
    OutlierPolicy.objects.create(
        audit_period=period, measure_id="25", method="fixed_threshold", alert_lower=0.6,
        alarm_lower=0.45, is_formal=True,
    )  # fmt: skip
    release = publish_release(period, "final", today=TODAY)
    classes = dict(
        ReleaseAggregate.objects.filter(release=release, level="pdu", measure_id="25", breakdown="")
        .values_list("area_code", "outlier")
    )  # fmt: skip
    # PZ041 75 %, PZ002 40 %, PZ004 90 %, PZ003 50 %, PZ001 62.5 % (fixture)
    assert classes == {"PZ041": "within", "PZ002": "alarm", "PZ004": "within",
                       "PZ003": "alert", "PZ001": "within"}  # fmt: skip
    assert figure(release, "pdu", "PZ041", "25").funnel_lower_95 == 60.0
    assert release.outlier_policy["25"]["method"] == "fixed_threshold"
    assert release.outlier_policy["17"] == {
        "method": "funnel", "overdispersion": "additive", "formal": False, "cut_offs": {},
    }  # fmt: skip
    assert release.outlier_policy_version.startswith("OP-2024-")


def test_a_new_release_supersedes_the_old_one_which_stays_readable(large_units):
    period, units = large_units
    first = publish_release(period, "final", today=TODAY)
    units["PZ041"].child(rows=(hba1c(60),))
    compute_kpis(period, calculation_date=E)
    second = publish_release(period, "final", today=TODAY, notes="late upload")
    first.refresh_from_db()
    assert (first.superseded_by, first.is_current, second.is_current) == (second, False, True)
    assert first.superseded_at is not None and second.notes == "late upload"
    assert figure(first, "national", "EW", "1").numerator == 190  # the old release is kept
    assert figure(second, "national", "EW", "1").numerator == 191
    assert Release.objects.filter(audit_period=period).count() == 2


def test_live_results_are_not_changed_by_a_release(large_units):
    period, _ = large_units
    before = aggregate(period, "25", m.PDUKPIAggregation, paediatric_diabetes_unit_id="PZ004")
    publish_release(period, "final", today=TODAY)
    after = aggregate(period, "25", m.PDUKPIAggregation, paediatric_diabetes_unit_id="PZ004")
    assert (after.passed, after.value, after.pk) == (before.passed, before.value, before.pk)


def test_the_frozen_snapshot_is_the_same_whether_copied_or_scored_afresh(large_units):
    """With live results as at E the release copies them; otherwise it scores every child."""
    period, _ = large_units
    copied = publish_release(period, "final", today=TODAY)
    compute_kpis(period, calculation_date=d("2024-12-31"))  # live results now as at another C
    scored = publish_release(period, "final", today=TODAY)
    fields = ("level", "area_code", "measure_id", "breakdown", "category", "numerator",
              "denominator", "value", "ci95_low", "comparison", "outlier")  # fmt: skip
    rows = [
        sorted(ReleaseAggregate.objects.filter(release=r).values_list(*fields))
        for r in (copied, scored)
    ]
    assert rows[0] == rows[1] and len(rows[0]) == copied.rows


def test_a_provisional_release_at_a_quarter_end_is_as_at_that_date(large_units):
    period, units = large_units
    units["PZ041"].child(rows=(hba1c(60, date="2025-01-10"),))  # after 31 December
    release = publish_release(period, "provisional", as_at=d("2024-12-31"), today=TODAY)
    assert (release.calculation_date, release.benchmarked) == (d("2024-12-31"), False)
    assert figure(release, "pdu", "PZ041", "1").numerator == 40  # not yet seen in the year
    assert figure(release, "pdu", "PZ041", "25").comparison == ""  # in-year: not compared
    assert not ReleaseAggregate.objects.filter(release=release, breakdown="sex").exists()
    assert ReleaseAggregate.objects.filter(release=release, breakdown="age_12").exists()
    final = publish_release(period, "final", today=TODAY)
    assert final.is_current and Release.objects.get(pk=release.pk).is_current  # both current


@pytest.mark.parametrize(
    ("kind", "as_at", "today", "message"),
    [
        ("final", None, dt.date(2025, 3, 31), "can only be made after it has ended"),
        ("provisional", dt.date(2024, 11, 30), TODAY, "must be a quarter end"),
        ("provisional", dt.date(2024, 12, 31), dt.date(2024, 12, 31), "has not ended yet"),
        ("provisional", None, dt.date(2024, 5, 1), "No quarter of 2024-2025 has ended yet"),
        ("draft", None, TODAY, "Unknown kind"),
    ],
)
def test_a_release_that_cannot_be_made_says_why_and_writes_nothing(
    large_units, kind, as_at, today, message
):
    period, _ = large_units
    with pytest.raises(ReleaseError, match=message):
        publish_release(period, kind, as_at=as_at, today=today)
    assert not Release.objects.exists()


def test_a_year_without_data_is_not_released():
    period = m.AuditPeriod.objects.get(start_date__year=2021)
    with pytest.raises(ReleaseError, match="No unit has submitted data for 2021-2022"):
        publish_release(period, "final", today=TODAY)
    assert not Release.objects.exists()


def test_breakdowns_are_rows_that_add_up_and_cover_every_category(large_units):
    period, _ = large_units
    release = publish_release(period, "final", today=TODAY)
    by_sex = {
        r.category: r.numerator
        for r in ReleaseAggregate.objects.filter(
            release=release, level="national", measure_id="25", breakdown="sex"
        )
    }
    assert by_sex == {"1": 103, "2": 20, "3": 0, "99": 0, "not_recorded": 0}
    assert sum(by_sex.values()) == figure(release, "national", "EW", "25").numerator
    # Units get the case mix (KPI 1 by group) but not outcomes by group.
    assert figure(release, "pdu", "PZ003", "1", "sex", "2").numerator == 40
    assert not ReleaseAggregate.objects.filter(
        release=release, level="pdu", measure_id="25", breakdown="sex"
    ).exists()
    assert figure(release, "icb", "E54000056", "25", "sex", "1").numerator == 30  # PZ041


def test_small_numbers_are_suppressed_and_logged_with_their_true_values(five_units):
    period, _ = five_units
    release = publish_release(period, "final", today=TODAY)
    unit = figure(release, "pdu", "PZ002", "25")  # 1 of 2
    assert (unit.numerator, unit.numerator_suppressed, unit.value) == (None, True, None)
    assert (unit.value_note, unit.comparison, unit.ci95_low) == (
        sdc.NOTE_SMALL,
        "not compared",
        None,
    )
    logged = SuppressionLogEntry.objects.get(
        release=release, level="pdu", area_code="PZ002", measure_id="25", cell_role="numerator"
    )
    assert (logged.true_value, logged.reason, logged.displayed_value) == (
        1,
        "primary_small_count",
        "*",
    )
    secondary = SuppressionLogEntry.objects.filter(release=release, reason="secondary")
    assert secondary.exists() and all(e.constraint_id for e in secondary)
    summary = release.suppression_summary
    assert summary["primary_small_count"]["pdu"] > 0 and "true_value" not in str(summary)
    for value in ReleaseAggregate.objects.filter(release=release).exclude(level="national"):
        for count in (value.numerator, value.denominator):
            assert count is None or count == 0 or (count >= 8 and count % 5 == 0)


def test_a_release_whose_checks_fail_is_not_created_and_the_command_says_where(
    five_units, monkeypatch, capsys
):
    period, _ = five_units
    unsafe = DisclosurePolicy.objects.create(
        policy_id="SDC", version=99, effective_from=dt.date(2024, 4, 1), small_count_max=7,
        rounding_base=5, min_contributors=8, secondary_suppression=False,
        description="test only: no secondary suppression", approved_by="tests",
    )  # fmt: skip
    monkeypatch.setattr(releases, "current_disclosure_policy", lambda: unsafe)
    with pytest.raises(CommandError, match="The release checks failed"):
        call_command("publish_aggregates", "--audit-year", "2024")
    err = capsys.readouterr().err
    assert "one suppressed cell in a constraint" in err and "measure" in err
    assert not Release.objects.exists() and not ReleaseAggregate.objects.exists()
    with pytest.raises(ReleaseCheckError) as raised:
        publish_release(period, "final", policy=unsafe, today=TODAY)
    where = {(f.check, f.level) for f in raised.value.failures}
    assert ("one suppressed cell in a constraint", "network") in where  # PN06: PZ041 + PZ002
    assert all(f.measure and f.area_code for f in raised.value.failures)
    assert not SuppressionLogEntry.objects.exists()


def test_publish_aggregates_makes_and_reports_releases(large_units, capsys):
    call_command("publish_aggregates", "--audit-year", "2024", "--kind", "final")
    out = capsys.readouterr().out
    assert "Release " in out and "2024-2025 final as at 2025-03-31" in out and "SDC-2" in out
    call_command("publish_aggregates", "--audit-year", "2024", "--if-missing")
    assert "is up to date" in capsys.readouterr().out
    call_command(
        "publish_aggregates", "--audit-year", "2024", "--kind", "provisional",
        "--as-at", "2024-09-30",
    )  # fmt: skip
    assert "provisional as at 2024-09-30" in capsys.readouterr().out
    call_command("publish_aggregates", "--audit-year", "2024")
    assert "supersedes release" in capsys.readouterr().out
    assert Release.objects.count() == 3
    with pytest.raises(CommandError, match="must be a quarter end"):
        call_command(
            "publish_aggregates", "--audit-year", "2024", "--kind", "provisional",
            "--as-at", "2024-10-01",
        )  # fmt: skip


def test_a_release_freezes_its_geography(large_units):
    period, _ = large_units
    release = publish_release(period, "final", today=TODAY)
    area = ReleaseArea.objects.get(release=release, level="pdu", code="PZ041")
    assert (area.parent_level, area.parent_code) == ("icb", "E54000056")
    assert ReleaseArea.objects.get(release=release, level="national").name == "England and Wales"
    assert set(ReleaseArea.objects.filter(release=release, level="pdu").values_list(
        "code", flat=True)) == set(LARGE_UNITS)  # fmt: skip


def test_the_nightly_job_makes_the_provisional_releases_of_ended_quarters(large_units):
    from aggregation import jobs
    from tests.kpi_cohort import open_only

    period, _ = large_units
    open_only(period)
    made = jobs.publish_due_provisional_releases(today=d("2024-10-05"))
    assert [r.calculation_date for r in made] == [d("2024-06-30"), d("2024-09-30")]
    assert all(r.kind == "provisional" for r in made)
    assert jobs.publish_due_provisional_releases(today=d("2024-10-06")) == []  # made once
    later = jobs.publish_due_provisional_releases(today=d("2025-01-02"))
    assert [r.calculation_date for r in later] == [d("2024-12-31")]
