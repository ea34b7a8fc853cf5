from django.core.management.base import BaseCommand

from aggregation.management import audit_period_argument
from aggregation.services import publish_aggregates


class Command(BaseCommand):
    help = (
        "Publish the live KPI aggregates of an audit year as the snapshot the public pages "
        "read, replacing the previous snapshot (one transaction)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--audit-year", type=int, required=True, help="e.g. 2024")

    def handle(self, *args, audit_year, **options):
        period = audit_period_argument(audit_year)
        rows = publish_aggregates(period)
        self.stdout.write(f"Published {rows} aggregate rows for {period}.")
