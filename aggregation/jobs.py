"""The KPI jobs: requests recorded by uploads, and the work the scheduler runs.

An upload only records a request (one cheap INSERT inside its own transaction); the scheduler
polls the queue, coalesces the requests of each period into one run over their units, and runs
the nightly full recompute. A failed run leaves its requests queued, so the next poll retries it.
"""

import logging
import os
import socket
from collections import defaultdict
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from npda.data_model.audit_periods import ensure_audit_periods
from npda.data_model.models import AuditPeriod, Submission

from .models import KPIRun, RecomputeRequest, Release
from .services import RunResult, compute_kpis

logger = logging.getLogger(__name__)


def request_unit_recompute(pdu_code: str, audit_period_id: int, *, reason: str = "upload") -> None:
    """Queue a recompute of one unit's KPIs; a request already waiting absorbs this one."""
    RecomputeRequest.objects.bulk_create(
        [
            RecomputeRequest(
                paediatric_diabetes_unit_id=pdu_code, audit_period_id=audit_period_id, reason=reason
            )
        ],
        ignore_conflicts=True,  # the partial unique index: one queued request per unit and period
    )


def process_queued_requests() -> list[RunResult]:
    """Run every queued request: one run per audit period over all its requested units."""
    claimed = _claim_queued_requests()
    results = []
    for period_id, requests in claimed.items():
        period = AuditPeriod.objects.get(pk=period_id)
        units = sorted({r.paediatric_diabetes_unit_id for r in requests})
        ids = [r.pk for r in requests]
        try:
            result = compute_kpis(period, pdu_codes=units, trigger=KPIRun.Trigger.UPLOAD)
        except Exception as error:  # logged, recorded on the run, retried at the next poll
            logger.exception("KPI recompute of %s for %s failed", units, period)
            _release_failed_requests(ids, error)
            continue
        RecomputeRequest.objects.filter(pk__in=ids).update(
            status=RecomputeRequest.Status.DONE, run_id=result.run_id
        )
        logger.info(
            "KPIs recomputed for %s in %s: %d children in %.2f s",
            ", ".join(units),
            period,
            result.children_scored,
            result.duration_seconds,
        )
        results.append(result)
    return results


def _claim_queued_requests() -> dict[int, list[RecomputeRequest]]:
    """Mark the queued requests running (skipping any another worker holds), by period."""
    by_period: dict[int, list[RecomputeRequest]] = defaultdict(list)
    with transaction.atomic():
        queued = list(
            RecomputeRequest.objects.select_for_update(skip_locked=True).filter(
                status=RecomputeRequest.Status.QUEUED
            )
        )
        RecomputeRequest.objects.filter(pk__in=[r.pk for r in queued]).update(
            status=RecomputeRequest.Status.RUNNING
        )
    for request in queued:
        by_period[request.audit_period_id].append(request)
    return dict(by_period)


def _release_failed_requests(ids: list[int], error: Exception) -> None:
    """Back to the queue for the next poll, unless a newer request for the unit now waits
    (then that one carries the work) or the attempts are used up."""
    max_attempts = settings.NPDA_KPI_MAX_ATTEMPTS
    for request in RecomputeRequest.objects.filter(pk__in=ids):
        request.attempts += 1
        request.last_error = f"{type(error).__name__}: {error}"
        waiting = RecomputeRequest.objects.filter(
            status=RecomputeRequest.Status.QUEUED,
            paediatric_diabetes_unit_id=request.paediatric_diabetes_unit_id,
            audit_period_id=request.audit_period_id,
        ).exists()
        if waiting or request.attempts >= max_attempts:
            request.status = RecomputeRequest.Status.FAILED
        else:
            request.status = RecomputeRequest.Status.QUEUED
        try:
            with transaction.atomic():
                request.save(update_fields=["attempts", "last_error", "status"])
        except IntegrityError:  # an upload queued the unit meanwhile: that request carries it
            request.status = RecomputeRequest.Status.FAILED
            request.save(update_fields=["attempts", "last_error", "status"])


def periods_to_recompute_nightly() -> list[AuditPeriod]:
    """Open periods: their data can change, and while a period runs C (today) moves on."""
    return list(AuditPeriod.objects.filter(is_open=True).order_by("start_date"))


def nightly_recompute() -> list[RunResult]:
    """Full recompute of every open period; a failure is logged and retried the next night.
    A new audit year that started today is created first, so it is open for uploads; then the
    provisional releases of quarters that have just ended are made."""
    ensure_audit_periods()
    results = []
    for period in periods_to_recompute_nightly():
        try:
            result = compute_kpis(period, trigger=KPIRun.Trigger.NIGHTLY)
            logger.info("Nightly KPI recompute of %s: %d children", period, result.children_scored)
            results.append(result)
        except Exception:
            logger.exception("Nightly KPI recompute of %s failed", period)
    publish_due_provisional_releases()
    return results


def publish_due_provisional_releases(today: date | None = None) -> list:
    """In-year snapshots: a provisional release of every open period with data as at each
    quarter end that has passed and has no release yet (so in-year trends are real data, as
    known then). A failure is logged and retried the next night."""
    from .releases import publish_release, quarter_ends

    today = today or timezone.localdate()
    made = []
    for period in periods_to_recompute_nightly():
        if not Submission.objects.filter(audit_period=period, is_active=True).exists():
            continue
        have = set(
            Release.objects.filter(audit_period=period, kind=Release.Kind.PROVISIONAL).values_list(
                "calculation_date", flat=True
            )
        )
        for as_at in quarter_ends(period):
            if as_at >= today or as_at in have:
                continue
            try:
                made.append(
                    publish_release(period, Release.Kind.PROVISIONAL, as_at=as_at, today=today)
                )
                logger.info("Provisional release of %s as at %s made", period, as_at)
            except Exception:
                logger.exception("Provisional release of %s as at %s failed", period, as_at)
    return made


def recover_interrupted_work() -> int:
    """Called by the scheduler once it holds the lock. Runs left "running" by a process of this
    host that no longer exists (killed or crashed) are recorded as failed (their transaction was
    rolled back: the last good results stand), and requests claimed by a dead scheduler go back
    to the queue. Returns the number of runs marked."""
    host = socket.gethostname()[:120]
    stale = [
        run.pk
        for run in KPIRun.objects.filter(status=KPIRun.Status.RUNNING, host=host)
        if run.pid is None or not _process_exists(run.pid)
    ]
    claimed = RecomputeRequest.objects.filter(status=RecomputeRequest.Status.RUNNING)
    claimed_ids = list(claimed.values_list("pk", flat=True))
    _release_failed_requests(claimed_ids, RuntimeError("interrupted"))
    return KPIRun.objects.filter(pk__in=stale).update(
        status=KPIRun.Status.FAILED, finished_at=timezone.now(), error="interrupted"
    )


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
