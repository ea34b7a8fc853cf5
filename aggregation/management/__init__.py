from django.core.management.base import CommandError

from aggregation.selectors import audit_period_for_year
from npda.data_model.audit_periods import ensure_audit_periods
from npda.data_model.models import AuditPeriod


def audit_period_argument(year: int) -> AuditPeriod:
    """The --audit-year of a command, or a clear error."""
    ensure_audit_periods()
    try:
        return audit_period_for_year(year)
    except AuditPeriod.DoesNotExist:
        raise CommandError(f"There is no {year}-{year + 1} audit period.") from None
