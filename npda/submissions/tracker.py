"""The audit team's tracker of every unit's submission for an audit year (issue 21): status (no
data, data, a checked draft waiting, signed off), last upload, children, completeness, errors
and days to the deadline. A handful of queries for all 172 units, none per unit."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Max, Sum

from npda.data_model.models import (
    AuditPeriod,
    AuditProgress,
    PaediatricDiabetesUnit,
    SignOff,
    Submission,
)

NO_DATA, DATA, DRAFT, SIGNED_OFF = "no data", "data", "checked draft waiting", "signed off"
STATUSES = (NO_DATA, DATA, DRAFT, SIGNED_OFF)
SORT_KEYS = ("unit", "name", "status", "last_upload", "children", "completeness", "errors")


@dataclass(frozen=True)
class TrackerRow:
    code: str
    name: str
    status: str
    last_upload: datetime | None
    children: int | None
    completeness: float | None  # percent of expected fields completed
    errors: int | None  # records with errors in the data in use
    signed_by: str
    days_to_deadline: int

    def value(self, key: str):
        return getattr(self, "code" if key == "unit" else key)


def tracker_rows(period: AuditPeriod, today: date) -> list[TrackerRow]:
    units = PaediatricDiabetesUnit.objects.filter(is_active=True).order_by("pz_code")
    versions = Submission.objects.filter(audit_period=period)
    active = {
        s["paediatric_diabetes_unit_id"]: s
        for s in versions.filter(is_active=True).values(
            "paediatric_diabetes_unit_id", "pk", "patient_count", "error_count"
        )
    }
    drafts = set(versions.filter(status=Submission.Status.DRAFT)
                 .values_list("paediatric_diabetes_unit_id", flat=True))  # fmt: skip
    uploads = versions.exclude(status=Submission.Status.DISCARDED)
    last = dict(uploads.values_list("paediatric_diabetes_unit_id").annotate(Max("submitted_at")))
    signed = {
        s.paediatric_diabetes_unit_id: s.signed_by.get_full_name()
        for s in SignOff.objects.filter(audit_period=period, reopened_at__isnull=True)
        .select_related("signed_by")
    }  # fmt: skip
    completeness = _completeness(period, [a["pk"] for a in active.values()])
    days = (period.deadline - today).days
    rows = []
    for unit in units:
        code = unit.pz_code
        version = active.get(code)
        status = (SIGNED_OFF if code in signed else DRAFT if code in drafts
                  else DATA if version else NO_DATA)  # fmt: skip
        rows.append(TrackerRow(
            code, unit.name, status, last.get(code),
            version["patient_count"] if version else None,
            completeness.get(version["pk"]) if version else None,
            version["error_count"] if version else None,
            signed.get(code, ""), days,
        ))  # fmt: skip
    return rows


def _completeness(period: AuditPeriod, versions: list[int]) -> dict[int, float]:
    """Percent of expected fields completed, per version in use, from AuditProgress."""
    totals = (
        AuditProgress.objects.filter(audit_period=period, patient__submissions__in=versions)
        .values("patient__submissions")
        .annotate(done=Sum("completed_fields"), expected=Sum("expected_fields"))
    )  # fmt: skip
    return {
        t["patient__submissions"]: round(100 * t["done"] / t["expected"], 1)
        for t in totals
        if t["expected"]
    }


def filtered_and_sorted(rows: list[TrackerRow], status: str, sort: str) -> list[TrackerRow]:
    """`status` one of STATUSES (or "" for all); `sort` a SORT_KEYS key, "-" first for
    descending; unknown values leave the rows as they are."""
    if status in STATUSES:
        rows = [r for r in rows if r.status == status]
    key = sort.removeprefix("-")
    if key not in SORT_KEYS:
        return rows
    known = [r for r in rows if r.value(key) is not None]
    unknown = [r for r in rows if r.value(key) is None]  # no data: last either way
    return sorted(known, key=lambda r: r.value(key), reverse=sort.startswith("-")) + unknown
