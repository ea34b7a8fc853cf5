"""Read-only queries of the submission pages, scoped to the user's units."""

from dataclasses import dataclass
from datetime import date

from npda.data_model import models as m
from npda.data_model.scope import units_for_user


def submissions_for_user(user) -> "m.QuerySet[m.Submission]":
    return m.Submission.objects.filter(
        paediatric_diabetes_unit__in=units_for_user(user)
    ).select_related("paediatric_diabetes_unit", "audit_period", "submitted_by")


def active_version(unit: m.PaediatricDiabetesUnit, period: m.AuditPeriod) -> m.Submission | None:
    """The version in use: the unit's data for the year (None: it has none)."""
    return (
        m.Submission.objects.filter(
            paediatric_diabetes_unit=unit, audit_period=period, is_active=True
        )
        .select_related("submitted_by")
        .first()
    )


def visible_audit_periods() -> "m.QuerySet[m.AuditPeriod]":
    return m.AuditPeriod.objects.filter(is_visible=True).order_by("-start_date")


def children_with_errors(submission: m.Submission, limit: int = 500) -> list[dict]:
    """Per child, its errors (child-level and per row) for the unit's own view of an upload."""
    from npda.submissions.reports import submission_errors

    children: dict[str, dict] = {}
    for error in submission_errors(submission):
        child = children.setdefault(
            error.identifier, {"identifier": error.identifier, "errors": []}
        )
        child["errors"].append(error)
    return list(children.values())[:limit]


@dataclass(frozen=True)
class UnitYear:
    unit: m.PaediatricDiabetesUnit
    period: m.AuditPeriod
    signed: bool
    ended: bool
    days_left: int


def unit_years(user, today: date, limit: int = 20) -> list[UnitYear]:
    """The user's units' open audit year and latest ended one, with whether each is signed off
    (two queries whatever the number of units)."""
    periods = list(
        m.AuditPeriod.objects.filter(start_date__lte=today, is_visible=True)
        .order_by("-start_date")[:2]
    )  # fmt: skip
    units = list(units_for_user(user).order_by("pz_code")[:limit])
    signed = set(
        m.SignOff.objects.filter(audit_period__in=periods, paediatric_diabetes_unit__in=units,
                                 reopened_at__isnull=True)
        .values_list("paediatric_diabetes_unit_id", "audit_period_id")
    )  # fmt: skip
    return [
        UnitYear(
            unit,
            period,
            (unit.pk, period.pk) in signed,
            today > period.end_date,
            (period.deadline - today).days,
        )
        for unit in units
        for period in periods
    ]
