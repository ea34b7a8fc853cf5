"""The long-running KPI scheduler (APScheduler), run by `manage.py run_scheduler`.

Only one scheduler runs the jobs: the process holds a PostgreSQL session advisory lock on a
connection of its own for its whole life. A second process waits for the lock (a standby that
takes over when the first stops) or, with `wait=False`, stops at once with a clear message.
"""

import logging
import signal
import time
from collections.abc import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections
from django.utils import timezone

from . import jobs

logger = logging.getLogger(__name__)

SCHEDULER_LOCK_KEY = 740_100  # pg_advisory_lock key of "the KPI scheduler"


class SchedulerAlreadyRunning(RuntimeError):
    pass


class SchedulerLock:
    """A session advisory lock on a dedicated database connection (not the one jobs use, which
    Django may close between jobs and so release the lock)."""

    def __init__(self, alias: str = DEFAULT_DB_ALIAS):
        self.connection = connections.create_connection(alias)
        self.held = False

    def try_acquire(self) -> bool:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [SCHEDULER_LOCK_KEY])
            self.held = bool(cursor.fetchone()[0])
        return self.held

    def holder(self) -> str:
        """Who holds the lock, for the message of a second scheduler."""
        with self.connection.cursor() as cursor:
            cursor.execute(
                """SELECT a.pid, a.client_addr, a.backend_start FROM pg_locks l
                   JOIN pg_stat_activity a ON a.pid = l.pid
                   WHERE l.locktype = 'advisory' AND l.granted AND l.objid = %s
                     AND l.database = (SELECT oid FROM pg_database
                                       WHERE datname = current_database())""",
                [SCHEDULER_LOCK_KEY],
            )
            row = cursor.fetchone()
        if row is None:
            return "no one (it was just released)"
        pid, address, since = row
        return f"database session {pid} ({address or 'local socket'}) since {since:%Y-%m-%d %H:%M}"

    def release(self) -> None:
        if self.held:
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [SCHEDULER_LOCK_KEY])
            self.held = False
        self.connection.close()


def acquire_lock(wait: bool, retry_seconds: float, log=logger.info) -> SchedulerLock:
    lock = SchedulerLock()
    while not lock.try_acquire():
        holder = lock.holder()
        if not wait:
            lock.release()
            raise SchedulerAlreadyRunning(
                f"Another KPI scheduler is already running (the lock is held by {holder}). "
                "Only one scheduler runs the jobs; start this one with waiting allowed to keep "
                "it as a standby."
            )
        log(f"Another KPI scheduler holds the lock ({holder}); waiting to take over.")
        time.sleep(retry_seconds)
    return lock


def as_job(work: Callable[[], object], name: str) -> Callable[[], None]:
    """A job body: fresh database connections, and an error logged, never raised (the next
    run retries: the nightly job the next night, queued requests at the next poll)."""

    def job() -> None:
        close_old_connections()
        try:
            work()
        except Exception:
            logger.exception("KPI job %s failed; it runs again at its next time", name)
        finally:
            close_old_connections()

    job.__name__ = name
    return job


def build_scheduler(nightly_cron: str, poll_seconds: int) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        timezone=settings.TIME_ZONE,
        executors={"default": ThreadPoolExecutor(max_workers=1)},  # one job at a time
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    scheduler.add_job(
        as_job(jobs.nightly_recompute, "nightly_recompute"),
        CronTrigger.from_crontab(nightly_cron, timezone=settings.TIME_ZONE),
        id="nightly_recompute",
        name="Nightly KPI recompute",
    )
    scheduler.add_job(
        as_job(jobs.process_queued_requests, "process_queued_requests"),
        IntervalTrigger(seconds=poll_seconds),
        id="process_queued_requests",
        name="Unit KPI recomputes queued by uploads",
        next_run_time=timezone.now(),  # pick up anything queued while no scheduler ran
    )
    return scheduler


def run_scheduler(*, nightly_cron: str, poll_seconds: int, wait: bool, log=logger.info) -> None:
    """Hold the lock, recover interrupted work, then run the jobs until stopped."""
    lock = acquire_lock(wait, retry_seconds=poll_seconds, log=log)
    try:
        interrupted = jobs.recover_interrupted_work()
        if interrupted:
            log(f"Marked {interrupted} interrupted KPI run(s) as failed.")
        scheduler = build_scheduler(nightly_cron, poll_seconds)
        signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
        log(
            f"KPI scheduler running: nightly recompute at cron '{nightly_cron}', "
            f"queued unit recomputes every {poll_seconds} s."
        )
        scheduler.start()
    finally:
        lock.release()
