"""The formal outlier classes of a final release worked out again, independently of the stored
classes: a unit on the public funnel has its published class (classed on its true figures);
a unit whose value is withheld is classed here from the suppression log's true value and true
n, against the funnel's limits at that n drawn from the release's stored parameters.

Used by a test and by the release benchmark (the national demo)."""

import numpy as np

from aggregation import selectors
from aggregation.benchmarking import funnel_curves
from aggregation.measures import RULES
from aggregation.models import FORMAL_OUTLIER_MEASURES, SuppressionLogEntry
from aggregation.release_rows import numerator_quantity
from aggregation.statistics import classify
from constants.kpis import MEASURES, MEASURES_BY_NUMBER

FLAGGED = ("alert", "alarm")
VALUE_ROLES = ("mean", "percentage", "rate")


def flagged_from_the_log(release_id: int) -> dict[tuple[str, str], tuple[str, str]]:
    """(unit, measure) -> (class, direction) of every alert and alarm unit."""
    flagged = {}
    for measure in FORMAL_OUTLIER_MEASURES:
        funnel = selectors.funnel(release_id, measure)
        for point in funnel.points:
            if point.outlier in FLAGGED:
                flagged[(point.area_code, measure)] = (point.outlier, point.outlier_direction)
        for result in funnel.not_shown:
            if not result.suppressed:  # no children in the measure: nothing to class
                continue
            klass, direction = _class_from_log(release_id, measure, result, funnel.parameters)
            if klass in FLAGGED:
                flagged[(result.area_code, measure)] = (klass, direction)
    return flagged


def _class_from_log(release_id, measure, result, parameters) -> tuple[str, str]:
    # A hidden count is logged once, under the first measure (registry order) that shows it:
    # a mean's contributors may be under another measure counting the same children.
    sharing = [m.number for m in MEASURES
               if numerator_quantity(m.number) == numerator_quantity(measure)]  # fmt: skip
    logged = SuppressionLogEntry.objects.filter(
        release_id=release_id, level="pdu", area_code=result.area_code,
        breakdown=result.breakdown, category=result.category,
    )  # fmt: skip
    entries = {e.cell_role: e.true_value for e in logged.filter(measure_id=measure)}
    if "count" not in entries:
        home = logged.filter(measure_id=sharing[0], cell_role="count").first()
        if home is not None:
            entries["count"] = home.true_value
    value = next(entries[role] for role in VALUE_ROLES if role in entries)
    n = _true_n(entries, value, result)
    kind = RULES[measure].value_kind
    at_n = funnel_curves(kind, parameters, np.array([float(n)]))
    klass, direction = classify(
        np.array([value]), at_n["funnel_lower_95"], at_n["funnel_upper_95"],
        at_n["funnel_lower_998"], at_n["funnel_upper_998"],
        MEASURES_BY_NUMBER[measure].polarity.value,
    )  # fmt: skip
    return str(klass[0]), str(direction[0])


def _true_n(entries: dict, value: float, result) -> int:
    """The funnel's n: a mean's contributors (its count), a rate's denominator; where only the
    numerator is hidden, the denominator is the true numerator over the true percentage."""
    for role in ("count", "denominator"):
        if role in entries:
            return round(entries[role])
    if "numerator" in entries:
        return round(entries["numerator"] * 100 / value)
    return result.denominator
