"""Read-only queries of the submission pages, scoped to the user's units."""

from npda.data_model import models as m
from npda.data_model.scope import units_for_user


def submissions_for_user(user) -> "m.QuerySet[m.Submission]":
    return m.Submission.objects.filter(
        paediatric_diabetes_unit__in=units_for_user(user)
    ).select_related("paediatric_diabetes_unit", "audit_period", "submitted_by")


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
