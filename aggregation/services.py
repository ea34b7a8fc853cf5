"""The KPI service: compute (score + aggregate), the only writer of `KPI`, `AuditProgress` and
the live `KPIAggregation` tables (releases are written by `aggregation.releases`).

A computation is one transaction, serialised per audit period by an advisory lock: old live rows
of the scope are deleted and new ones inserted, so a run that fails or is killed leaves the last
good results in place. A unit recompute re-scores that unit's children and rewrites the
aggregates of the areas holding it (live rows depend on their own area only; benchmarking
against the national value is done in releases). The run itself is recorded outside
that transaction, so a failure stays visible. The statements are a fixed list whatever the
number of children or units.
"""

import os
import socket
import time
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from npda.data_model.models import AuditPeriod

from . import rollup
from .models import KPIRun, RecomputeRequest
from .progress import build_progress_insert_sql
from .scoring import (
    CHILD_TABLE,
    FACT_TABLE,
    ScoringWindow,
    build_children_sql,
    build_facts_sql,
    build_kpi_insert_sql,
    calculation_date_for,
)

COMPUTE_LOCK_NAMESPACE = 7401  # pg_advisory_xact_lock(namespace, audit period id)


@dataclass(frozen=True)
class RunResult:
    run_id: int
    audit_period_id: int
    pdu_codes: list[str] | None
    calculation_date: date
    children_scored: int
    kpi_rows: int
    progress_rows: int
    aggregate_rows: int
    duration_seconds: float


def compute_kpis(
    audit_period: AuditPeriod,
    pdu_codes: list[str] | None = None,
    calculation_date: date | None = None,
    *,
    trigger: str = KPIRun.Trigger.SERVICE,
) -> RunResult:
    """Score the children of the given units (all units when None) for the period, then
    re-aggregate the whole period at every level."""
    c = calculation_date_for(audit_period.end_date, timezone.localdate(), calculation_date)
    window = ScoringWindow(
        audit_period.pk,
        audit_period.start_date,
        audit_period.end_date,
        c,
        audit_period.dataset_year,
    )
    units = sorted(set(pdu_codes)) if pdu_codes else None
    run = _start_run(audit_period, units, c, trigger)
    covered = _queued_requests_covered_by(audit_period, units)
    started = time.perf_counter()
    try:
        with transaction.atomic():
            counts = _score_and_aggregate(window, units)
    except Exception as error:
        _finish_run(run, started, KPIRun.Status.FAILED, error=f"{type(error).__name__}: {error}")
        raise
    _finish_run(run, started, KPIRun.Status.SUCCEEDED, **counts)
    RecomputeRequest.objects.filter(pk__in=covered, status=RecomputeRequest.Status.QUEUED).update(
        status=RecomputeRequest.Status.DONE, run=run
    )
    return RunResult(
        run_id=run.pk,
        audit_period_id=audit_period.pk,
        pdu_codes=units,
        calculation_date=c,
        duration_seconds=run.duration_seconds,
        **counts,
    )


def _queued_requests_covered_by(period: AuditPeriod, units: list[str] | None) -> list[int]:
    """A full run also does the unit recomputes already queued (their uploads are committed, so
    the run reads them); the scheduler then has nothing left to repeat."""
    if units:
        return []
    queued = RecomputeRequest.objects.filter(
        audit_period=period, status=RecomputeRequest.Status.QUEUED
    )
    return list(queued.values_list("pk", flat=True))


def _score_and_aggregate(window: ScoringWindow, units: list[str] | None) -> dict[str, int]:
    params = window.params() | {"units": units}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [COMPUTE_LOCK_NAMESPACE, window.period_id]
        )
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(f"DROP TABLE IF EXISTS {CHILD_TABLE}, {FACT_TABLE}")
        cursor.execute(build_children_sql(units), params)
        children = cursor.rowcount
        cursor.execute(f"ANALYZE {CHILD_TABLE}")
        cursor.execute(build_facts_sql(), params)
        for statement in _delete_scope_sql(units):
            cursor.execute(statement, params)
        cursor.execute(build_kpi_insert_sql(window.dataset_year), params)
        kpi_rows = cursor.rowcount
        cursor.execute(build_progress_insert_sql(window.dataset_year), params)
        progress_rows = cursor.rowcount
        cursor.execute(f"DROP TABLE {CHILD_TABLE}, {FACT_TABLE}")
        aggregate_rows = rollup.aggregate(cursor, params, units)
    return {
        "children_scored": children,
        "kpi_rows": kpi_rows,
        "progress_rows": progress_rows,
        "aggregate_rows": aggregate_rows,
    }


def _delete_scope_sql(units: list[str] | None) -> list[str]:
    """The scope's old rows: the whole period, or the units' children plus any child now scored
    for them (the child universe is the fact table, still present)."""
    if not units:
        return [
            "DELETE FROM npda_auditprogress WHERE audit_period_id = %(period)s",
            "DELETE FROM npda_kpi WHERE audit_period_id = %(period)s",
        ]
    in_units = "paediatric_diabetes_unit_id = ANY(%(units)s)"
    scored_now = f"patient_id IN (SELECT patient_id FROM {FACT_TABLE})"
    scored_before = (
        f"patient_id IN (SELECT patient_id FROM npda_kpi"
        f" WHERE audit_period_id = %(period)s AND {in_units})"
    )
    return [
        f"""DELETE FROM npda_auditprogress WHERE audit_period_id = %(period)s
            AND ({scored_now} OR {scored_before})""",
        f"""DELETE FROM npda_kpi WHERE audit_period_id = %(period)s
            AND ({in_units} OR {scored_now})""",
    ]


def _start_run(period: AuditPeriod, units, c: date, trigger: str) -> KPIRun:
    return KPIRun.objects.create(
        audit_period=period,
        trigger=trigger,
        pdu_codes=units or [],
        calculation_date=c,
        started_at=timezone.now(),
        host=socket.gethostname()[:120],
        pid=os.getpid(),
    )


def _finish_run(run: KPIRun, started: float, status: str, **fields) -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.duration_seconds = time.perf_counter() - started
    for name, value in fields.items():
        setattr(run, name, value)
    run.save()


class OutlierStepError(ValueError):
    """A step that cannot be recorded, with the reason in words."""


def record_outlier_step(
    user, release_id: int, pz_code: str, measure: str, step: str, taken_on: date, notes: str = ""
):
    """Append one step of the outlier process for a unit flagged on a formal outlier measure
    of a final release (the audit team's full and edit groups)."""
    from django.core.exceptions import PermissionDenied

    from .models import OutlierProcessStep
    from .selectors import outliers

    if not user.has_perm("aggregation.add_outlierprocessstep"):
        raise PermissionDenied("Recording outlier process steps is for the RCPCH audit team.")
    report = outliers(user, release_id)
    release = report.release
    if not any(c.point.area_code == pz_code and c.point.measure == measure for c in report.cases):
        raise OutlierStepError(
            f"{pz_code} is not an alert or alarm on {measure} in release {release.id}."
        )
    if step not in OutlierProcessStep.Step.values:
        raise OutlierStepError(f"Unknown step {step!r}.")
    if taken_on > timezone.localdate() or taken_on < release.created_at.date():
        raise OutlierStepError(
            f"The date must lie between the release ({release.created_at:%d %B %Y}) and today."
        )
    return OutlierProcessStep.objects.create(
        release_id=release.id, unit_id=pz_code, measure_id=measure, step=step,
        taken_on=taken_on, notes=notes.strip(), recorded_by=user,
    )  # fmt: skip
