from datetime import date

from django.core.management.base import BaseCommand, CommandError

from aggregation.jobs import periods_to_recompute_nightly
from aggregation.management import audit_period_argument
from aggregation.models import KPIRun
from aggregation.selectors import kpis_are_current
from aggregation.services import compute_kpis


class Command(BaseCommand):
    help = (
        "Score every child and aggregate the KPIs to every level, in the foreground (the same "
        "job as the scheduler's). Without --audit-year: every open audit period."
    )

    def add_arguments(self, parser):
        parser.add_argument("--audit-year", type=int, help="e.g. 2024 for 2024-25")
        parser.add_argument(
            "--pdu", action="append", default=[], help="PZ code; repeat for several units"
        )
        parser.add_argument(
            "--if-stale",
            action="store_true",
            help="skip a period whose full results are newer than its latest upload",
        )
        parser.add_argument(
            "--calculation-date",
            type=date.fromisoformat,
            help="C, as at (YYYY-MM-DD); default: the period end once it has ended, else today",
        )

    def handle(self, *args, audit_year, pdu, calculation_date, if_stale, **options):
        if audit_year is not None:
            periods = [audit_period_argument(audit_year)]
        else:
            periods = periods_to_recompute_nightly()
        if not periods:
            raise CommandError("No open audit period to compute: give --audit-year.")
        units = [code.strip().upper() for code in pdu] or None
        for period in periods:
            if if_stale and not units and kpis_are_current(period):
                self.stdout.write(f"{period}: KPIs are up to date with the latest upload.")
                continue
            result = compute_kpis(period, units, calculation_date, trigger=KPIRun.Trigger.COMMAND)
            scope = ", ".join(result.pdu_codes) if result.pdu_codes else "all units"
            self.stdout.write(
                f"{period} ({scope}), as at {result.calculation_date}: "
                f"{result.children_scored} children scored, {result.aggregate_rows} aggregate "
                f"rows, in {result.duration_seconds:.2f} s (run {result.run_id})"
            )
