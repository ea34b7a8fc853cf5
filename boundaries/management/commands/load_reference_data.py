from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from boundaries.loader import default_source, load_reference_data
from boundaries.sources import ReferenceDataError


class Command(BaseCommand):
    help = (
        "Load countries, NHS England regions, ICBs and LHBs (with boundaries), networks, trusts, "
        "organisations and paediatric diabetes units from the reference data folder. "
        "Idempotent (upsert by code); all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--source",
            type=Path,
            default=None,
            help="reference data folder (default: NPDA_REFERENCE_DATA, then ../shared/data)",
        )
        parser.add_argument(
            "--skip-unchanged",
            action="store_true",
            help="do nothing if these exact files were already loaded",
        )

    def handle(self, *args, source: Path | None, skip_unchanged: bool, **options):
        source = source or default_source()
        try:
            result = load_reference_data(
                source, skip_unchanged=skip_unchanged, progress=self.stdout.write
            )
        except ReferenceDataError as exc:
            raise CommandError(str(exc)) from exc
        if not result.skipped:
            summary = ", ".join(f"{count} {name}" for name, count in result.counts.items())
            self.stdout.write(self.style.SUCCESS(f"Loaded in {result.seconds:.1f} s: {summary}"))
