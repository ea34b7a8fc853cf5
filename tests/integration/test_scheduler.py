"""The KPI job queue, the scheduler's jobs and its one-runner advisory lock."""

import os

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from django.core.management import CommandError, call_command
from django.utils import timezone

from aggregation import jobs
from aggregation.models import KPIRun, RecomputeRequest
from aggregation.scheduler import (
    SchedulerAlreadyRunning,
    SchedulerLock,
    acquire_lock,
    build_scheduler,
)
from aggregation.services import compute_kpis
from npda.data_model import models as m
from tests.kpi_cohort import CLINIC, Cohort, open_only

pytestmark = pytest.mark.django_db


def test_an_upload_only_queues_a_request_and_repeats_coalesce():
    cohort = Cohort()
    cohort.child(rows=(CLINIC,))
    for _ in range(3):
        jobs.request_unit_recompute("PZ041", cohort.period.pk, reason="upload")
    queued = RecomputeRequest.objects.filter(status=RecomputeRequest.Status.QUEUED)
    assert queued.count() == 1 and queued.get().paediatric_diabetes_unit_id == "PZ041"
    assert not m.KPI.objects.exists() and not KPIRun.objects.exists()


def test_queued_requests_run_as_one_run_per_period():
    a = Cohort("PZ041")
    b = Cohort("PZ002", period=a.period)
    child_a, child_b = a.child(rows=(CLINIC,)), b.child(rows=(CLINIC,))
    jobs.request_unit_recompute("PZ041", a.period.pk)
    jobs.request_unit_recompute("PZ002", a.period.pk)
    results = jobs.process_queued_requests()
    assert len(results) == 1 and results[0].pdu_codes == ["PZ002", "PZ041"]
    assert m.KPI.objects.filter(patient__in=[child_a, child_b]).count() == 2
    run = KPIRun.objects.get(pk=results[0].run_id)
    assert (run.trigger, run.status, run.children_scored) == ("upload", "succeeded", 2)
    assert run.aggregate_rows > 0 and run.kpi_rows == 2 and run.progress_rows == 2
    assert set(RecomputeRequest.objects.values_list("status", "run")) == {("done", run.pk)}
    # A request made after the run is picked up by the next poll.
    jobs.request_unit_recompute("PZ041", a.period.pk)
    assert [r.pdu_codes for r in jobs.process_queued_requests()] == [["PZ041"]]
    assert jobs.process_queued_requests() == []


def test_a_full_run_also_does_the_queued_unit_recomputes():
    cohort = Cohort()
    cohort.child(rows=(CLINIC,))
    jobs.request_unit_recompute("PZ041", cohort.period.pk)
    result = compute_kpis(cohort.period)
    request = RecomputeRequest.objects.get()
    assert request.status == RecomputeRequest.Status.DONE and request.run_id == result.run_id
    assert jobs.process_queued_requests() == []


def test_a_unit_run_leaves_other_units_requests_queued():
    a = Cohort("PZ041")
    b = Cohort("PZ002", period=a.period)
    a.child(rows=(CLINIC,))
    b.child(rows=(CLINIC,))
    jobs.request_unit_recompute("PZ002", a.period.pk)
    compute_kpis(a.period, ["PZ041"])
    assert RecomputeRequest.objects.get().status == RecomputeRequest.Status.QUEUED


def test_a_failing_request_is_logged_kept_and_retried(monkeypatch, caplog):
    cohort = Cohort()
    cohort.child(rows=(CLINIC,))
    jobs.request_unit_recompute("PZ041", cohort.period.pk)

    def failing(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(jobs, "compute_kpis", failing)
    assert jobs.process_queued_requests() == []
    request = RecomputeRequest.objects.get()
    assert (request.status, request.attempts) == ("queued", 1)
    assert "disk full" in request.last_error and "disk full" in caplog.text
    monkeypatch.undo()
    assert len(jobs.process_queued_requests()) == 1
    assert RecomputeRequest.objects.get().status == "done"


def test_a_request_gives_up_after_the_maximum_attempts(monkeypatch, settings):
    settings.NPDA_KPI_MAX_ATTEMPTS = 2
    cohort = Cohort()
    jobs.request_unit_recompute("PZ041", cohort.period.pk)
    monkeypatch.setattr(jobs, "compute_kpis", lambda *a, **k: 1 / 0)
    jobs.process_queued_requests()
    jobs.process_queued_requests()
    assert RecomputeRequest.objects.get().status == "failed"
    assert jobs.process_queued_requests() == []


def test_a_failed_run_is_recorded_with_its_error(monkeypatch):
    from aggregation import rollup

    cohort = Cohort()
    cohort.child(rows=(CLINIC,))
    monkeypatch.setattr(rollup, "aggregate", lambda *a, **k: 1 / 0)
    assert jobs.nightly_recompute() == []  # logged, not raised: retried the next night
    run = KPIRun.objects.get()
    assert (run.status, run.trigger) == ("failed", "nightly")
    assert "ZeroDivisionError" in run.error


def test_the_nightly_job_recomputes_every_open_period():
    open_period = Cohort(year=2024)
    open_period.child(rows=(CLINIC,))
    Cohort(year=2023)
    open_only(open_period.period)
    results = jobs.nightly_recompute()
    assert [r.audit_period_id for r in results] == [open_period.period.pk]
    assert KPIRun.objects.get().trigger == "nightly"


def test_interrupted_runs_and_claimed_requests_are_recovered():
    cohort = Cohort()
    dead = KPIRun.objects.create(
        audit_period=cohort.period,
        started_at=timezone.now(),
        host=os.uname().nodename,
        pid=2**22 + 7,
    )
    alive = KPIRun.objects.create(
        audit_period=cohort.period,
        started_at=timezone.now(),
        host=os.uname().nodename,
        pid=os.getpid(),
    )
    RecomputeRequest.objects.create(
        paediatric_diabetes_unit_id="PZ041", audit_period=cohort.period, status="running"
    )
    assert jobs.recover_interrupted_work() == 1
    dead.refresh_from_db(), alive.refresh_from_db()
    assert (dead.status, dead.error, alive.status) == ("failed", "interrupted", "running")
    assert RecomputeRequest.objects.get().status == "queued"


def test_only_one_scheduler_holds_the_lock_across_real_connections():
    first, second = SchedulerLock(), SchedulerLock()
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        assert "database session" in second.holder()
        with pytest.raises(SchedulerAlreadyRunning, match="already running"):
            acquire_lock(wait=False, retry_seconds=0)
        first.release()
        assert second.try_acquire()
    finally:
        first.release()
        second.release()


def test_a_second_scheduler_command_stops_with_a_clear_message():
    holder = SchedulerLock()
    try:
        assert holder.try_acquire()
        with pytest.raises(CommandError, match="Another KPI scheduler is already running"):
            call_command("run_scheduler", "--no-wait", "--once")
    finally:
        holder.release()


def test_run_scheduler_once_processes_the_queue(capsys):
    cohort = Cohort()
    child = cohort.child(rows=(CLINIC,))
    jobs.request_unit_recompute("PZ041", cohort.period.pk)
    call_command("run_scheduler", "--once", "--no-wait")
    assert "Recomputed PZ041: 1 children" in capsys.readouterr().out
    assert m.KPI.objects.filter(patient=child).exists()
    # The lock was released: another scheduler can take it.
    lock = SchedulerLock()
    try:
        assert lock.try_acquire()
    finally:
        lock.release()


def test_the_scheduler_has_a_nightly_cron_job_and_a_queue_poll():
    scheduler = build_scheduler("15 3 * * *", 45)
    job_ids = {job.id: job for job in scheduler.get_jobs()}
    assert set(job_ids) == {"nightly_recompute", "process_queued_requests"}
    nightly, poll = job_ids["nightly_recompute"].trigger, job_ids["process_queued_requests"].trigger
    assert isinstance(nightly, CronTrigger) and "hour='3'" in str(nightly)
    assert isinstance(poll, IntervalTrigger) and poll.interval.total_seconds() == 45
