"""Disclosure control policy versions (disclosure-control.md §3.1, §6): releases are made under
SDC-2 from now on; a release made under SDC-1 keeps it, and SDC-1 reproduces exactly the rows
it always gave."""

import datetime as dt
import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from aggregation import selectors
from aggregation.models import DisclosurePolicy, ReleaseAggregate, SuppressionLogEntry
from aggregation.releases import LOG_COLUMNS, PUBLISHED_COLUMNS, publish_release
from constants import disclosure as sdc

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 1)
TYPE_1 = {"level": "pdu", "measure_id": "44", "breakdown": "diabetes_type", "category": "1"}
HIDDEN_TYPE_1 = ("PZ001", "PZ002", "PZ004", "PZ041")  # their type 1 counts: secondary


def sdc_1() -> DisclosurePolicy:
    return DisclosurePolicy.objects.get(policy_id="SDC", version=1)


def digest(release) -> str:
    """Every published row and suppression log entry of a release, in a fixed order."""
    text = hashlib.sha256()
    columns = list(PUBLISHED_COLUMNS)
    order = ("level", "measure_id", "breakdown", "category", "area_code")
    for row in (
        ReleaseAggregate.objects.filter(release=release).order_by(*order).values_list(*columns)
    ):
        text.update(repr(row).encode())
    log = list(LOG_COLUMNS)
    for row in SuppressionLogEntry.objects.filter(release=release).order_by(*log).values_list(*log):
        text.update(repr(row).encode())
    return text.hexdigest()


def type_1_rows(release) -> dict[str, ReleaseAggregate]:
    return {r.area_code: r for r in ReleaseAggregate.objects.filter(release=release, **TYPE_1)}


def test_sdc_1_gives_exactly_the_rows_it_gave_before_sdc_2(mixed_types):
    """Pinned from the code before SDC-2 existed (issue 24), on the same world: every published
    row and log entry, and the type 1 means it withheld with their hidden counts."""
    period, _ = mixed_types
    release = publish_release(period, "final", today=TODAY, policy=sdc_1())
    assert release.disclosure_policy.label == "SDC-1"
    assert (release.rows, release.suppressions.count()) == (14688, 798)
    assert digest(release) == "018183833b57cbb41c69f31bab720dfc923986c9620a9a5b983c591a89b4e3b6"
    rows = type_1_rows(release)
    for code in HIDDEN_TYPE_1:
        assert (rows[code].value, rows[code].value_note) == (None, sdc.NOTE_SECONDARY)
        assert rows[code].funnel_n is None and rows[code].outlier == ""
    assert (rows["PZ003"].numerator, rows["PZ003"].value, rows["PZ003"].outlier) == (
        30, 63.7, "within",
    )  # fmt: skip


def test_new_releases_are_made_under_sdc_2_which_publishes_means_beside_hidden_counts(
    mixed_types,
):
    period, _ = mixed_types
    release = publish_release(period, "final", today=TODAY)
    assert release.disclosure_policy.label == "SDC-2" == sdc.CURRENT_POLICY.label
    rows = type_1_rows(release)
    for code in HIDDEN_TYPE_1:
        row = rows[code]
        assert row.numerator_suppressed and row.numerator is None  # the count stays *
        assert row.value is not None and row.ci95_low is not None and row.value_note == ""
        assert row.outlier in ("within", "alert", "alarm") and row.funnel_n % 5 == 0
        assert (row.sd, row.z_score, row.funnel_lower_95) == (None, None, None)
    assert rows["PZ001"].value == 82.5 and rows["PZ001"].funnel_n == 30
    assert rows["PZ001"].comparison == "" and rows["PZ001"].outlier == "alarm"
    # Fewer than 8 children: withheld under either policy.
    assert rows["PZ005"].value is None and rows["PZ005"].value_note == sdc.NOTE_SMALL
    # Percentages are unchanged: withheld when a count they rest on is hidden.
    checks = ReleaseAggregate.objects.get(
        release=release, level="pdu", measure_id="32.1", breakdown="", area_code="PZ004"
    )
    assert checks.value is None and checks.value_note == sdc.NOTE_SECONDARY
    funnel = selectors.funnel(release.pk, "44")
    assert sorted(p.area_code for p in funnel.points) == sorted([*HIDDEN_TYPE_1, "PZ003"])
    assert [r.area_code for r in funnel.not_shown] == ["PZ005"]


def test_the_stored_policies_and_what_they_say():
    one, two = sdc_1(), DisclosurePolicy.objects.get(policy_id="SDC", version=2)
    assert (one.means_withheld_with_hidden_counts, one.recovery_check) == (True, False)
    assert (two.means_withheld_with_hidden_counts, two.recovery_check) == (False, True)
    assert two.effective_from == dt.date(2026, 12, 1)
    for name in ("small_count_max", "rounding_base", "min_contributors", "sensitive_measures",
                 "secondary_suppression", "complement_protection"):  # fmt: skip
        assert getattr(one, name) == getattr(two, name)  # SDC-2 is SDC-1 but for means


def test_a_release_made_under_sdc_1_keeps_its_rows_and_policy_through_the_migration(
    mixed_types,
):
    """Made under SDC-1, then the migrations that add SDC-2 undone and done again: the release
    still points at the same policy row, still SDC-1 with its own rules, with the same rows."""
    period, _ = mixed_types
    release = publish_release(period, "final", today=TODAY, policy=sdc_1())
    before, policy_id = digest(release), release.disclosure_policy_id
    with connection.cursor() as cursor:  # the release's deferred key checks, before any DDL
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.migrate([("aggregation", "0007_outlier_steps_append_only")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns"
                       " WHERE table_name = 'aggregation_disclosurepolicy'")  # fmt: skip
        assert "recovery_check" not in {name for (name,) in cursor.fetchall()}
    executor = MigrationExecutor(connection)  # the graph as it now stands
    executor.migrate(executor.loader.graph.leaf_nodes("aggregation"))
    release.refresh_from_db()
    assert release.disclosure_policy_id == policy_id
    assert release.disclosure_policy.label == "SDC-1"
    assert release.disclosure_policy.means_withheld_with_hidden_counts  # SDC-1's own rule
    assert not release.disclosure_policy.recovery_check
    assert digest(release) == before
    two = DisclosurePolicy.objects.get(policy_id="SDC", version=2)
    assert (two.means_withheld_with_hidden_counts, two.recovery_check) == (False, True)
