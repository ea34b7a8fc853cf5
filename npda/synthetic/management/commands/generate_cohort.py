import time
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from npda.synthetic.parameters import NATIONAL_PATIENTS
from npda.synthetic.service import UnitDone, generate_cohort


class Command(BaseCommand):
    help = (
        "Generate a deterministic synthetic national cohort (NPDA 2021 dataset) for an audit "
        "year: stored as each unit's active submission, or written as one CSV per unit. The "
        "same children come back from year to year."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--audit-year", type=int, required=True, help="e.g. 2024 for 2024-25")
        parser.add_argument(
            "--patients",
            type=int,
            default=NATIONAL_PATIENTS,
            help="national total the unit sizes are scaled to, in 2024-25 (1.5 %% fewer each "
            "year before, more after); with --pdu only the listed units' share is generated "
            f"(default {NATIONAL_PATIENTS})",
        )
        parser.add_argument("--seed", type=int, default=1, help="same seed, same cohort")
        parser.add_argument(
            "--pdu", nargs="+", metavar="PZ_CODE", help="only these units (e.g. PZ041 PZ248)"
        )
        parser.add_argument(
            "--csv-dir",
            type=Path,
            help="write one NPDA template CSV per unit here instead of the database",
        )
        parser.add_argument(
            "--skip-existing",
            action="store_true",
            help="leave units that already have an active submission for the year",
        )
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            help="the 'upload' date (YYYY-MM-DD): nothing is dated later; default today",
        )

    def handle(self, *args, **options) -> None:
        self.verbosity = options["verbosity"]
        started = time.perf_counter()
        try:
            result = generate_cohort(
                audit_year=options["audit_year"],
                patients=options["patients"],
                seed=options["seed"],
                pz_codes=options["pdu"],
                csv_dir=options["csv_dir"],
                skip_existing=options["skip_existing"],
                today=options["today"],
                progress=self._progress,
            )
        except ValueError as error:  # CohortError, and the generator's own checks
            raise CommandError(str(error)) from error
        seconds = time.perf_counter() - started
        where = f"written to {options['csv_dir']}" if options["csv_dir"] else "stored"
        skipped = f", {len(result.skipped)} units skipped" if result.skipped else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.children:,} children and {result.visits:,} visits in {result.units} "
                f"units {where} in {seconds:.1f} s{skipped}"
            )
        )

    def _progress(self, unit: UnitDone) -> None:
        if unit.skipped and self.verbosity < 2:
            return
        state = "already loaded" if unit.skipped else f"{unit.children:>4} children"
        visits = "" if unit.skipped else f" {unit.visits:>6,} visits"
        width = len(str(unit.total))
        self.stdout.write(f"  [{unit.done:>{width}}/{unit.total}] {unit.pz_code} {state}{visits}")
