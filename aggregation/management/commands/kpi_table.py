import csv

from django.core.management.base import BaseCommand

from aggregation.management import audit_period_argument
from aggregation.rollup import LEVELS
from aggregation.selectors import KPI_TABLE_COLUMNS, kpi_table_rows


class Command(BaseCommand):
    help = (
        "Write the live, raw (not disclosure-controlled) KPI aggregates of one level as CSV, "
        "one row per area and measure, for audit staff and checks against independent "
        "calculations. Published figures: the open data API (/api/v1/aggregates)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--audit-year", type=int, required=True, help="e.g. 2024")
        parser.add_argument("--level", required=True, choices=list(LEVELS))
        parser.add_argument("--out", required=True, help="the CSV file to write")

    def handle(self, *args, audit_year, level, out, **options):
        period = audit_period_argument(audit_year)
        count = 0
        with open(out, "w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=KPI_TABLE_COLUMNS)
            writer.writeheader()
            for row in kpi_table_rows(period, level):
                writer.writerow(row)
                count += 1
        self.stdout.write(f"Wrote {count} rows ({level}, {period}) to {out}.")
