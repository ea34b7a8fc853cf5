from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from aggregation import jobs
from aggregation.scheduler import SchedulerAlreadyRunning, acquire_lock, run_scheduler


class Command(BaseCommand):
    help = (
        "Run the KPI scheduler: the nightly full recompute and the unit recomputes queued by "
        "uploads. Only one scheduler runs the jobs (a PostgreSQL advisory lock); a second one "
        "waits as a standby, or stops with --no-wait."
    )

    def add_arguments(self, parser):
        parser.add_argument("--nightly-cron", default=settings.NPDA_KPI_NIGHTLY_CRON)
        parser.add_argument(
            "--poll-seconds", type=int, default=settings.NPDA_KPI_QUEUE_POLL_SECONDS
        )
        parser.add_argument(
            "--no-wait", action="store_true", help="stop if another scheduler holds the lock"
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="take the lock, run the queued unit recomputes once, and exit",
        )

    def handle(self, *args, nightly_cron, poll_seconds, no_wait, once, **options):
        try:
            if once:
                self._run_queue_once(wait=not no_wait, poll_seconds=poll_seconds)
            else:
                run_scheduler(
                    nightly_cron=nightly_cron,
                    poll_seconds=poll_seconds,
                    wait=not no_wait,
                    log=self.stdout.write,
                )
        except SchedulerAlreadyRunning as error:
            raise CommandError(str(error)) from error
        except KeyboardInterrupt:
            self.stdout.write("KPI scheduler stopped.")

    def _run_queue_once(self, *, wait: bool, poll_seconds: int) -> None:
        lock = acquire_lock(wait, retry_seconds=poll_seconds, log=self.stdout.write)
        try:
            jobs.recover_interrupted_work()
            results = jobs.process_queued_requests()
        finally:
            lock.release()
        for result in results:
            self.stdout.write(
                f"Recomputed {', '.join(result.pdu_codes or [])}: "
                f"{result.children_scored} children in {result.duration_seconds:.2f} s"
            )
        self.stdout.write(f"{len(results)} queued recompute run(s) done.")
