"""One area's result on one measure as a page or report row reads it: value, n of N, 95% CI,
the comparison in words and England and Wales. Shared by the area page and the PDF report."""

from dataclasses import dataclass

from aggregation.selectors import AreaResult
from constants.kpis import MEASURES_BY_NUMBER, definition_for, name_for

from . import map_figures as fig


@dataclass(frozen=True)
class MeasureRow:
    number: str
    name: str
    group: str
    definition: str
    value: str
    counts: str  # "n of N"
    interval: str
    comparison: str
    national: str
    comparison_key: str = ""  # the palette's key, for the mark beside the words (ADR 0025)


def measure_row(result: AreaResult, national: AreaResult | None, audit_year: int) -> MeasureRow:
    """The row as the release's year names and defines the measure (the 2026 dataset's)."""
    measure = MEASURES_BY_NUMBER[result.measure]
    return MeasureRow(
        number=measure.number,
        name=name_for(measure.number, audit_year),
        group=measure.group.value,
        definition=definition_for(measure.number, audit_year),
        value=(
            "Not collected"
            if result.not_collected
            else fig.format_value(result.value, result.unit, suppressed=result.suppressed)
        ),
        counts=fig.counts_text(result),
        interval="*" if result.suppressed else fig.format_interval(result.ci95),
        comparison=fig.comparison_words(result) if result.level != "national" else "",
        national="" if national is None else fig.format_value(national.value, national.unit),
        comparison_key=fig.comparison_key(result) if result.level != "national" else "",
    )


def grouped(rows: list[MeasureRow]) -> list[tuple[str, list[MeasureRow]]]:
    """The rows under their spec group, in the order the measures come."""
    groups: dict[str, list[MeasureRow]] = {}
    for row in rows:
        groups.setdefault(row.group, []).append(row)
    return list(groups.items())
