import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from constants.numbers import year_number
from npda.data_model.audit_periods import ensure_audit_periods
from npda.data_model.models import AuditPeriod, PaediatricDiabetesUnit
from npda.submissions.comparison import Comparison, summary_lines
from npda.submissions.services import import_submission
from npda.submissions.versions import check_upload


class Command(BaseCommand):
    help = (
        "Import a unit's NPDA CSV file for an audit year. It becomes the unit's active "
        "submission; a rejected file changes nothing and the command exits with status 1. "
        "With --check the file is only checked and compared with the unit's data: nothing "
        "is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--pdu", required=True, help="the unit, e.g. PZ041")
        parser.add_argument("--audit-year", type=int, required=True, help="e.g. 2024 for 2024-25")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print one JSON object"
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="check the file and compare it with the unit's data; write nothing",
        )
        parser.add_argument(
            "--refuse-closed-period",
            action="store_true",
            help="reject the file if the audit year is closed, as for a unit's own upload",
        )

    def handle(self, *args, file: Path, pdu: str, audit_year: int, as_json: bool, **options):
        unit = PaediatricDiabetesUnit.objects.filter(pz_code=pdu.upper()).first()
        if unit is None:
            raise CommandError(f"Unknown unit {pdu!r}: give a PZ code such as PZ041.")
        ensure_audit_periods()
        period = (
            AuditPeriod.objects.filter(start_date__year=audit_year).first()
            if year_number(audit_year) else None
        )  # fmt: skip
        if period is None:
            raise CommandError(f"There is no {audit_year}-{audit_year + 1} audit period.")
        if not file.is_file():
            raise CommandError(f"No such file: {file}")

        def progress(event: dict) -> None:
            if not as_json and event["total"]:
                self.stderr.write(
                    f"\r  {event['stage']}: {event['done']:,} of {event['total']:,}", ending=""
                )

        arguments = (file.read_bytes(), file.name, unit, period)
        closed = not options["refuse_closed_period"]
        if options["check"]:
            checked = check_upload(*arguments, allow_closed_period=closed, keep=False)
            result = checked.result
            if checked.comparison is not None:
                result.comparison = checked.comparison.as_json()
        else:
            result = import_submission(*arguments, allow_closed_period=closed, progress=progress)
        if as_json:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))
        elif result.accepted:
            self.stderr.write("")
            self.stdout.write(self.style.SUCCESS(result.message))
            for rule, count in result.errors_by_rule.items():
                self.stdout.write(f"  {rule}: {count}")
            if result.comparison is not None:
                for line in summary_lines(Comparison.from_json(result.comparison)):
                    self.stdout.write(line)
        else:
            self.stdout.write(self.style.ERROR(f"{result.fatal_code}: {result.fatal_message}"))
        if not result.accepted:
            raise SystemExit(1)
