"""Read-only queries over the KPI results."""

from collections.abc import Iterator

from django.db.models import Max

from npda.models import AuditPeriod, Submission

from .models import KPIRun
from .rollup import LEVELS, NATIONAL_CODE

KPI_TABLE_COLUMNS = (
    "level",
    "area_code",
    "measure",
    "passed",
    "failed",
    "incomplete",
    "ineligible",
    "denominator",
    "value",
    "ci95_low",
    "ci95_high",
)


def audit_period_for_year(year: int) -> AuditPeriod:
    """The period that starts on 1 April of `year` (AuditPeriod.DoesNotExist if none)."""
    return AuditPeriod.objects.get(start_date__year=year)


def kpi_table_rows(
    period: AuditPeriod, level: str, *, published: bool = False
) -> Iterator[dict[str, object]]:
    """One dict per area and measure of a level, in area then registry order."""
    model, _ = LEVELS[level]
    area = model.AREA_FIELD
    rows = model.objects.filter(audit_period=period, is_published=published).order_by(
        *([f"{area}_id"] if area else []), "measure__sort_order"
    )
    for row in rows.iterator(chunk_size=5000):
        yield {
            "level": level,
            "area_code": getattr(row, f"{area}_id") if area else NATIONAL_CODE,
            "measure": row.measure_id,
            **{name: getattr(row, name) for name in KPI_TABLE_COLUMNS[3:]},
        }


def kpis_are_current(period: AuditPeriod) -> bool:
    """Whether a full run has succeeded since the period's latest upload (so running again
    would compute the same results, up to the calculation date)."""
    last_upload = Submission.objects.filter(audit_period=period).aggregate(at=Max("submitted_at"))
    full_runs = KPIRun.objects.filter(
        audit_period=period, status=KPIRun.Status.SUCCEEDED, pdu_codes=[]
    ).exclude(trigger=KPIRun.Trigger.PUBLISH)
    if last_upload["at"] is not None:
        full_runs = full_runs.filter(started_at__gt=last_upload["at"])
    return full_runs.exists()
