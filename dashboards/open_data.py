"""The tidy long format of published results: one record per area, measure, breakdown category
and release, as the open data API serves it (JSON) and as every CSV export writes it.

Only release rows reach here (`aggregation.selectors.AreaResult` of a release): disclosure
controlled, with no child-level data. CSV files are UTF-8 with a byte order mark (so that
spreadsheets read the symbols) and formula-safe (text that a spreadsheet would run as a formula
is prefixed with an apostrophe).
"""

import csv
import io
from collections.abc import Iterable, Iterator

from aggregation.selectors import AreaResult, ReleaseSummary
from constants import disclosure as sdc
from constants.kpis import MEASURES_BY_NUMBER
from npda.spreadsheets import csv_text

BOM = "\ufeff"


def record(result: AreaResult) -> dict:
    """One published result as a flat JSON-ready dict (None where suppressed or not
    applicable; the flags and `value_note` say which)."""
    ci95, ci998 = result.ci95 or (None, None), result.ci998 or (None, None)
    limits_95 = result.funnel_limits_95 or (None, None)
    limits_998 = result.funnel_limits_998 or (None, None)
    return {
        "release_id": result.release_id,
        "level": result.level,
        "area_code": result.area_code,
        "area_name": result.area_name,
        "parent_level": result.parent_level,
        "parent_code": result.parent_code,
        "measure": result.measure,
        "breakdown": result.breakdown,
        "category": result.category,
        "numerator": result.numerator,
        "numerator_suppressed": result.numerator_suppressed,
        "denominator": result.denominator,
        "denominator_suppressed": result.denominator_suppressed,
        "value": result.value,
        "unit": result.unit,
        "value_note": result.value_note,
        "suppression_reason": result.suppression_reason,
        "ci95_low": ci95[0],
        "ci95_high": ci95[1],
        "ci998_low": ci998[0],
        "ci998_high": ci998[1],
        "comparison": result.comparison,
        "comparison_5": result.comparison_5,
        "funnel_n": result.funnel_n,
        "funnel_lower_95": limits_95[0],
        "funnel_upper_95": limits_95[1],
        "funnel_lower_998": limits_998[0],
        "funnel_upper_998": limits_998[1],
        "z_score": result.z_score,
        "outlier": result.outlier,
        "outlier_direction": result.outlier_direction,
    }


CSV_COLUMNS = (
    "release_id",
    "period",
    "release_kind",
    "calculation_date",
    "level",
    "area_code",
    "area_name",
    "parent_code",
    "measure",
    "measure_name",
    "breakdown",
    "category",
    "numerator",
    "denominator",
    "value",
    "unit",
    "ci95_low",
    "ci95_high",
    "ci998_low",
    "ci998_high",
    "comparison",
    "comparison_5",
    "outlier",
    "outlier_direction",
    "value_note",
    "disclosure_policy",
)


def _shown(value, suppressed: bool, not_applicable: bool = False) -> str:
    """§8 display conventions: * suppressed, a dash for not applicable, else the number."""
    if suppressed:
        return sdc.SUPPRESSED
    if value is None:
        return sdc.NOT_APPLICABLE if not_applicable else ""
    return repr(value) if isinstance(value, float) else str(value)


def csv_row(result: AreaResult, release: ReleaseSummary) -> list[str]:
    not_applicable = result.value_note == sdc.NOTE_NOT_APPLICABLE
    ci95, ci998 = result.ci95 or (None, None), result.ci998 or (None, None)
    measure = MEASURES_BY_NUMBER[result.measure]
    text = [
        str(release.id),
        release.period,
        release.kind,
        release.calculation_date.isoformat(),
        result.level,
        csv_text(result.area_code),
        csv_text(result.area_name),
        csv_text(result.parent_code),
        result.measure,
        csv_text(measure.name),
        result.breakdown,
        csv_text(result.category),
        _shown(result.numerator, result.numerator_suppressed),
        _shown(result.denominator, result.denominator_suppressed),
        _shown(result.value, result.suppressed, not_applicable),
        result.unit,
        *(_shown(x, result.suppressed) for x in (*ci95, *ci998)),
        result.comparison,
        result.comparison_5,
        result.outlier,
        result.outlier_direction,
        result.value_note,
        release.disclosure_policy,
    ]
    return text


def csv_chunks(
    results: Iterable[AreaResult], release: ReleaseSummary, rows_per_chunk: int = 2000
) -> Iterator[str]:
    """The CSV text (BOM and header first), a few thousand rows at a time, for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(CSV_COLUMNS)
    for count, result in enumerate(results, start=1):
        writer.writerow(csv_row(result, release))
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
