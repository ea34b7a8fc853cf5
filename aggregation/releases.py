"""Releases: frozen, disclosure-controlled snapshots of an audit period's results, the only
figures that leave the audit team (disclosure-control.md §5.1).

`publish_release` makes one in a single transaction:
1. freeze: every child of every unit's active submission is scored as at the release's
   calculation date C into a temporary KPI table (the same SQL as the live engine);
2. pool it to every level, with the child-attribute breakdowns (the live roll-up's functions);
3. build every published row (totals, breakdown categories, companion figures) with its true
   counts and statistics, and benchmark the totals (comparisons once the period has ended,
   funnels and outlier classes for a final release);
4. disclosure control: primary and secondary suppression over the cells and constraints,
   withheld derived values, rounding (`aggregation.disclosure`);
5. the automatic release checks of §5.2: if one fails, nothing is written and the error lists
   each failure with its area and measure;
6. write the rows, the release's geography and per-measure summaries, the suppression log, and
   mark the release it replaces as superseded (never deleted).
"""

import hashlib
import json
import time
from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from constants import disclosure as sdc
from constants.disclosure import DISPLAY_PLACES
from constants.kpis import MEASURES
from npda.data_model import models as m

from . import disclosure
from .areas import current_areas
from .benchmarking import METHOD_VERSION
from .disclosure import build_constraints, cells_of, check_release, control, suppression_log
from .measures import NotCollected, rules_for
from .models import (
    DisclosurePolicy,
    OutlierPolicy,
    RecomputeRequest,
    Release,
    ReleaseAggregate,
    ReleaseArea,
    ReleaseMeasure,
    SuppressionLogEntry,
    UnitOutlierClass,
)
from .release_rows import (
    Benchmarking,
    breakdown_keys,
    build_rows,
    numerator_quantity,
    unit_outlier_classes,
)
from .rollup import (
    UNIT_AREA_TABLE,
    copy_rows,
    create_unit_area_table,
    fetch_dicts,
    pooled_areas,
)
from .scoring import (
    CHILD_TABLE,
    FACT_TABLE,
    ScoringWindow,
    build_children_sql,
    build_facts_sql,
    build_kpi_table_sql,
)
from .selectors import kpis_are_current
from .services import COMPUTE_LOCK_NAMESPACE

RELEASE_KPI_TABLE = "release_kpi"  # the frozen child-level snapshot, for the transaction
KPI_METHOD_VERSION = "kpis.md 2021 dataset 1"
Progress = Callable[[str], None]


class ReleaseError(ValueError):
    """A release that cannot be made as asked (the message says why)."""


class ReleaseCheckError(ReleaseError):
    """The automatic release checks failed: the release was not created."""

    def __init__(self, failures: list[disclosure.CheckFailure]):
        self.failures = failures
        shown = "\n".join(f"  - {f}" for f in failures[:20])
        more = f"\n  ... and {len(failures) - 20} more" if len(failures) > 20 else ""
        super().__init__(
            f"The release checks failed ({len(failures)} problems); nothing was published:\n"
            f"{shown}{more}"
        )


# Dates -------------------------------------------------------------------------------------------


def quarter_ends(period: m.AuditPeriod) -> list[date]:
    """30 June, 30 September, 31 December and 31 March of the period."""
    year = period.start_date.year
    return [date(year, 6, 30), date(year, 9, 30), date(year, 12, 31), period.end_date]


def calculation_date_for_release(
    period: m.AuditPeriod, kind: str, as_at: date | None, today: date
) -> date:
    """C of a release: the period end for a final release (once the period has ended); a
    quarter end that has passed for a provisional one (by default the latest)."""
    if kind == Release.Kind.FINAL:
        if today <= period.end_date:
            raise ReleaseError(
                f"{period} ends on {period.end_date:%d %B %Y}: a final release can only be made "
                "after it has ended. Make a provisional release instead."
            )
        if as_at not in (None, period.end_date):
            raise ReleaseError("A final release is always as at the end of the audit period.")
        return period.end_date
    passed = [q for q in quarter_ends(period) if q < today]
    if as_at is None:
        if not passed:
            raise ReleaseError(f"No quarter of {period} has ended yet.")
        return passed[-1]
    if as_at not in quarter_ends(period):
        ends = ", ".join(f"{q:%Y-%m-%d}" for q in quarter_ends(period))
        raise ReleaseError(f"--as-at must be a quarter end of {period}: one of {ends}.")
    if as_at not in passed:
        raise ReleaseError(f"The quarter ending {as_at:%d %B %Y} has not ended yet.")
    return as_at


def parent_relations(cursor) -> list[tuple[str, str, pd.DataFrame]]:
    """Child areas within parent areas (disclosure-control.md §4): (child level, parent level,
    child code -> parent code), from every unit's area on each level."""
    unit_areas = pd.DataFrame(fetch_dicts(cursor, f"SELECT * FROM {UNIT_AREA_TABLE}", {}))
    pairs = [("pdu", level) for level in ("trust", "icb", "lhb", "network", "openuk")]
    pairs += [("icb", "region"), ("region", "country"), ("lhb", "country")]
    pairs += [("country", "national")]
    relations = []
    for child, parent in pairs:
        parents = unit_areas[unit_areas["level"] == parent][["pdu", "code"]]
        if child == "pdu":
            mapping = parents.rename(columns={"pdu": "child", "code": "parent"})
        else:
            children = unit_areas[unit_areas["level"] == child][["pdu", "code"]]
            mapping = children.merge(parents, on="pdu", suffixes=("_child", "_parent"))
            mapping = mapping.rename(columns={"code_child": "child", "code_parent": "parent"})
        mapping = mapping[["child", "parent"]].drop_duplicates()
        if mapping["child"].duplicated().any():
            raise RuntimeError(f"A {child} area lies in two {parent} areas")
        relations.append((child, parent, mapping))
    return relations


# Making a release ----------------------------------------------------------------------------


def publish_release(
    period: m.AuditPeriod,
    kind: str,
    *,
    as_at: date | None = None,
    user=None,
    notes: str = "",
    policy: DisclosurePolicy | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> Release:
    """Make a new release of the period (see the module docstring); it supersedes the current
    release of the same period, kind and calculation date. Raises ReleaseError when it cannot
    be made as asked and ReleaseCheckError when the release checks fail (nothing written)."""
    say = progress or (lambda _: None)
    if kind not in Release.Kind.values:
        raise ReleaseError(f"Unknown kind {kind!r}: provisional or final.")
    c = calculation_date_for_release(period, kind, as_at, today or timezone.localdate())
    policy = policy or current_disclosure_policy()
    rules = disclosure.Policy.from_model(policy)
    outlier = outlier_policies(period)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [COMPUTE_LOCK_NAMESPACE, period.pk])
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL jit = off")
        say(f"scoring every child as at {c:%d %B %Y}")
        params = _freeze(cursor, period, c)
        cursor.execute(f"SELECT count(*) FROM {RELEASE_KPI_TABLE}")
        if not cursor.fetchone()[0]:
            raise ReleaseError(f"No unit has submitted data for {period}: nothing to release.")
        say("pooling to every level, with breakdowns")
        final = kind == Release.Kind.FINAL
        create_unit_area_table(cursor)
        keys = breakdown_keys(equity=final, dataset_year=period.dataset_year)
        areas = pooled_areas(cursor, params, source=RELEASE_KPI_TABLE, breakdowns=keys)
        ended = c >= period.end_date
        benchmarking = Benchmarking(outlier, with_funnel=final) if ended else None
        say("building the rows" + (" and benchmarking them" if ended else ""))
        rows, funnels = build_rows(
            areas, equity=final, benchmarking=benchmarking, dataset_year=period.dataset_year
        )
        formal = [number for number, p in outlier.items() if p.is_formal] if final else []
        classes = unit_outlier_classes(rows, formal)  # true figures, before any is withheld
        say(f"disclosure control ({rules.label}) of {len(rows):,} rows")
        sensitive = {numerator_quantity(n) for n in policy.sensitive_measures}
        cells, homes = cells_of(rows, sensitive)
        constraints = build_constraints(cells, parent_relations(cursor))
        control(rows, cells, constraints, rules)
        failures = check_release(rows, cells, homes, constraints, rules, list(PUBLISHED_COLUMNS))
        if failures:
            raise ReleaseCheckError(failures)
        mark_not_collected(rows, period.dataset_year)
        say("writing the release")
        release = _create_release(period, kind, c, policy, outlier, user, notes, ended)
        _write(cursor, release, rows, cells, homes, funnels)
        if final:
            _write_outlier_classes(release, classes, rows, period)
        cursor.execute(f"DROP TABLE {RELEASE_KPI_TABLE}, {UNIT_AREA_TABLE}")
        _keep_statistics_fresh(cursor)
        release.duration_seconds = time.perf_counter() - started
        release.save(update_fields=["duration_seconds"])
    return release


def _keep_statistics_fresh(cursor) -> None:
    """Planner statistics for the public reads, after every release: the new release's id is
    outside the last histogram of `release_id`, so without them the planner expects none of its
    rows and picks plans that make a unit page 5-10x slower (seen in the benchmark after three
    releases, under the fifth-changed threshold used before). ANALYZE samples: ~0.5 s."""
    cursor.execute(
        "ANALYZE aggregation_release, aggregation_releasearea, aggregation_releaseaggregate"
    )


def current_disclosure_policy() -> DisclosurePolicy:
    current = sdc.CURRENT_POLICY
    return DisclosurePolicy.objects.get(policy_id=current.policy_id, version=current.version)


def outlier_policies(period: m.AuditPeriod) -> dict[str, OutlierPolicy]:
    """The period's outlier policy of every measure (the default where none is set)."""
    stored = {p.measure_id: p for p in OutlierPolicy.objects.filter(audit_period=period)}
    return {
        measure.number: stored.get(measure.number)
        or OutlierPolicy.default(period.pk, measure.number)
        for measure in MEASURES
    }


def _freeze(cursor, period: m.AuditPeriod, c: date) -> dict:
    """Every child of the period scored as at C, in the release's own KPI table: a copy of
    the live KPI rows when they are exactly that (a full run as at C since the last upload,
    nothing queued), else scored afresh with the engine's SQL."""
    window = ScoringWindow(period.pk, period.start_date, period.end_date, c, period.dataset_year)
    params = window.params() | {"units": None}
    cursor.execute(f"DROP TABLE IF EXISTS {CHILD_TABLE}, {FACT_TABLE}, {RELEASE_KPI_TABLE}")
    if _live_rows_are_as_at(cursor, period, c):
        cursor.execute(
            f"CREATE TEMPORARY TABLE {RELEASE_KPI_TABLE} AS"
            " SELECT * FROM npda_kpi WHERE audit_period_id = %(period)s",
            params,
        )
        return params
    cursor.execute(build_children_sql(None), params)
    cursor.execute(f"ANALYZE {CHILD_TABLE}")
    cursor.execute(build_facts_sql(), params)
    cursor.execute(build_kpi_table_sql(RELEASE_KPI_TABLE, period.dataset_year), params)
    cursor.execute(f"DROP TABLE {CHILD_TABLE}, {FACT_TABLE}")
    return params


def _live_rows_are_as_at(cursor, period: m.AuditPeriod, c: date) -> bool:
    """Whether the live KPI rows are the period's children scored as at C (the compute lock is
    held, so they cannot change meanwhile)."""
    if (
        not kpis_are_current(period)
        or RecomputeRequest.objects.filter(
            audit_period=period,
            status__in=(RecomputeRequest.Status.QUEUED, RecomputeRequest.Status.RUNNING),
        ).exists()
    ):
        return False
    cursor.execute(
        "SELECT count(*), count(*) FILTER (WHERE calculation_date <> %s)"
        " FROM npda_kpi WHERE audit_period_id = %s",
        [c, period.pk],
    )
    rows, other_dates = cursor.fetchone()
    return rows > 0 and other_dates == 0


def _create_release(period, kind, c, policy, outlier, user, notes, ended) -> Release:
    """The release record; the current one of the same period, kind and date is superseded."""
    applied = {number: p.as_json() for number, p in sorted(outlier.items())}
    digest = hashlib.sha256(json.dumps(applied, sort_keys=True).encode()).hexdigest()[:10]
    now = timezone.now()
    previous = (
        Release.objects.select_for_update()
        .filter(audit_period=period, kind=kind, calculation_date=c, superseded_at__isnull=True)
        .first()
    )
    if previous:  # no longer current before the new one is (one current release per date)
        previous.superseded_at = now
        previous.save(update_fields=["superseded_at"])
    load = m.ReferenceDataLoad.objects.order_by("-loaded_at").first()
    release = Release.objects.create(
        audit_period=period,
        kind=kind,
        calculation_date=c,
        method_version=f"{KPI_METHOD_VERSION}; {METHOD_VERSION}",
        outlier_policy_version=f"OP-{period.start_date.year}-{digest}",
        outlier_policy=applied,
        disclosure_policy=policy,
        created_by=user if user is not None and user.is_authenticated else None,
        created_at=now,
        notes=notes,
        reference_data=load.fingerprint if load else "",
        benchmarked=ended,
    )
    if previous:
        previous.superseded_by = release
        previous.save(update_fields=["superseded_by"])
    return release


# The published columns of a release row and their PostgreSQL types.
PUBLISHED_COLUMNS: dict[str, str] = {
    "level": "text",
    "area_code": "text",
    "measure_id": "text",
    "breakdown": "text",
    "category": "text",
    "numerator": "int4",
    "numerator_suppressed": "bool",
    "denominator": "int4",
    "denominator_suppressed": "bool",
    "value": "float8",
    "value_note": "text",
    "suppression_reason": "text",
    "ci95_low": "float8",
    "ci95_high": "float8",
    "ci998_low": "float8",
    "ci998_high": "float8",
    "sd": "float8",
    "comparison": "text",
    "comparison_5": "text",
    "funnel_n": "int4",
    "funnel_lower_95": "float8",
    "funnel_upper_95": "float8",
    "funnel_lower_998": "float8",
    "funnel_upper_998": "float8",
    "z_score": "float8",
    "outlier": "text",
    "outlier_direction": "text",
}
LOG_COLUMNS: dict[str, str] = {
    "output_id": "text",
    "level": "text",
    "area_code": "text",
    "measure_id": "text",
    "breakdown": "text",
    "category": "text",
    "cell_role": "text",
    "reason": "text",
    "constraint_id": "text",
    "true_value": "float8",
    "displayed_value": "text",
}


def mark_not_collected(rows: pd.DataFrame, dataset_year: int) -> None:
    """A measure the period's dataset does not collect (kpis.md §7.1: 21 from 2026-27) is
    published with no figures and the note saying so, at every level and breakdown."""
    numbers = [n for n, rule in rules_for(dataset_year).items() if isinstance(rule, NotCollected)]
    where = rows["measure"].isin(numbers).to_numpy()
    if not where.any():
        return
    for name, pg_type in PUBLISHED_COLUMNS.items():
        if pg_type in ("int4", "float8"):
            rows[name] = np.where(where, np.nan, rows[name].to_numpy(dtype=float))
        elif pg_type == "bool":
            rows.loc[where, name] = False
        elif name not in ("level", "area_code", "measure_id", "breakdown", "category"):
            rows.loc[where, name] = ""
    rows.loc[where, "value_note"] = sdc.NOTE_NOT_COLLECTED


def _copy(cursor, table: str, release: Release, frame: pd.DataFrame, types: dict) -> None:
    columns = {"release_id": ("int8", np.full(len(frame), release.pk))}
    columns |= {name: (pg_type, frame[name].to_numpy()) for name, pg_type in types.items()}
    copy_rows(cursor, table, columns)


def _write(cursor, release: Release, rows: pd.DataFrame, cells, homes, funnels: dict) -> None:
    published = rows.rename(columns={"code": "area_code", "measure": "measure_id"})
    key = ["level", "measure_id", "breakdown", "category", "area_code"]  # the unique index's order
    published = published.sort_values(key, kind="stable")
    _copy(cursor, ReleaseAggregate._meta.db_table, release, published, PUBLISHED_COLUMNS)
    log = suppression_log(rows, cells, homes)
    _copy(cursor, SuppressionLogEntry._meta.db_table, release, log, LOG_COLUMNS)
    _write_areas(release, rows)
    spreads = unit_spreads(rows)
    ReleaseMeasure.objects.bulk_create(
        ReleaseMeasure(
            release=release,
            measure_id=measure.number,
            funnel=funnels.get(measure.number),
            unit_spread=spreads.get(measure.number),
        )
        for measure in MEASURES
    )
    release.rows = len(published)
    summary = log.groupby(["reason", "level"]).size() if len(log) else pd.Series(dtype=int)
    release.suppression_summary = {}
    for (reason, level), count in summary.items():
        release.suppression_summary.setdefault(reason, {})[level] = int(count)
    release.save(update_fields=["rows", "suppression_summary"])


def _write_outlier_classes(
    release: Release, classes: pd.DataFrame, rows: pd.DataFrame, period: m.AuditPeriod
) -> None:
    """§6: every unit's class on the formal outlier measures, on its true figures, with
    whether the public sees its point (and why not); and each unit that should have submitted
    data for the year and did not (no active submission: it had no data), as non-participating.
    Confidential to the audit team."""
    names = dict(m.PaediatricDiabetesUnit.objects.values_list("pz_code", "name"))
    public = rows.loc[classes.index]
    classes = classes.assign(
        published=~public["withheld"].to_numpy() & public["value"].notna().to_numpy(),
        public_note=public["value_note"].to_numpy(),
    )
    records = [_classed_unit(release, names, c) for c in classes.itertuples(index=False)]
    records += [
        UnitOutlierClass(
            release=release, unit_code=code, unit_name=names[code], measure=None,
            outlier=UnitOutlierClass.NON_PARTICIPATION, outlier_direction="negative",
            published=False,
        )
        for code in units_without_data(period)
    ]  # fmt: skip
    UnitOutlierClass.objects.bulk_create(records)


def _classed_unit(release: Release, names: dict[str, str], c) -> UnitOutlierClass:
    return UnitOutlierClass(
        release=release, unit_code=c.code, unit_name=names.get(c.code, c.code),
        measure_id=c.measure, n=round(c.funnel_n), value=_number(c.value_true),
        funnel_lower_95=_number(c.funnel_lower_95), funnel_upper_95=_number(c.funnel_upper_95),
        funnel_lower_998=_number(c.funnel_lower_998),
        funnel_upper_998=_number(c.funnel_upper_998), z_score=_number(c.z_score),
        outlier=c.outlier, outlier_direction=c.outlier_direction, published=bool(c.published),
        public_note=c.public_note,
    )  # fmt: skip


def _number(x) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def units_without_data(period: m.AuditPeriod) -> list[str]:
    """The open units with no active submission for the period: they should have submitted
    data for the year and have none (benchmarking-methods.md §6 non-participation, as the
    submission lifecycle keeps `Submission.is_active`); a closed unit is not expected to."""
    submitted = m.Submission.objects.filter(audit_period=period, is_active=True)
    return list(
        m.PaediatricDiabetesUnit.objects.filter(is_active=True)
        .exclude(pz_code__in=submitted.values("paediatric_diabetes_unit"))
        .order_by("pz_code")
        .values_list("pz_code", flat=True)
    )


def unit_spreads(rows: pd.DataFrame) -> dict[str, dict]:
    """Per measure: min, quartiles and max of the units' published values (spine charts)."""
    units = rows[(rows["level"] == "pdu") & (rows["breakdown"] == "")].dropna(subset=["value"])
    spreads = {}
    for number, values in units.groupby("measure", sort=False)["value"]:
        low, q1, median, q3, high = np.percentile(values.to_numpy(), [0, 25, 50, 75, 100])
        spreads[number] = {
            "n": len(values),
            "min": round(float(low), DISPLAY_PLACES),
            "q1": round(float(q1), DISPLAY_PLACES + 1),
            "median": round(float(median), DISPLAY_PLACES + 1),
            "q3": round(float(q3), DISPLAY_PLACES + 1),
            "max": round(float(high), DISPLAY_PLACES),
        }
    return spreads


def _write_areas(release: Release, rows: pd.DataFrame) -> None:
    """The release's geography: every area it has rows for, named and placed as today."""
    totals = rows.loc[rows["breakdown"] == "", ["level", "code"]].drop_duplicates()
    present = set(zip(totals["level"], totals["code"], strict=True))
    ReleaseArea.objects.bulk_create(
        ReleaseArea(
            release=release,
            level=area.level,
            code=area.code,
            name=area.name,
            parent_level=area.parent_level,
            parent_code=area.parent_code,
        )
        for area in current_areas()
        if (area.level, area.code) in present
    )
