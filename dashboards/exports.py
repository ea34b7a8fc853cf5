"""Report exports of one area from one published release (issue 12): the tidy CSV of the open
data API, and an XLSX workbook of the same table with a definitions sheet and a notes sheet.

Everything is read through the read API (`aggregation.selectors`): release rows only, which are
disclosure controlled and hold no child-level data. Each file names the release, its date, the
disclosure-control policy and the source.
"""

import io
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from aggregation import selectors
from aggregation.areas import Area
from aggregation.selectors import AreaResult, NotFound, ReleaseSummary
from constants import disclosure as sdc
from constants.kpis import MEASURES, POPULATIONS, definition_for
from constants.levels import OGL_ATTRIBUTION, RCPCH_ATTRIBUTION
from dashboards import open_data
from npda.spreadsheets import FORMULA_STARTS, add_sheet, new_workbook, write_row

SOURCE = "RCPCH National Paediatric Diabetes Audit (NPDA), England and Wales"
EXPORT_LEVELS = ("national", "country", "region", "icb", "lhb", "network", "trust", "pdu")


@dataclass(frozen=True)
class AreaExport:
    release: ReleaseSummary
    area: Area
    results: list[AreaResult]  # every measure and breakdown published for the area

    @property
    def file_stem(self) -> str:
        release, area = self.release, self.area
        return f"NPDA {release.label} release {release.id} {area.level} {area.code}"


def area_export(release_spec: str | int, level: str, code: str) -> AreaExport:
    """The area's published rows; NotFound (with a message) for an unknown release or area."""
    if level not in EXPORT_LEVELS:
        raise NotFound("level", level, list(EXPORT_LEVELS))
    release = selectors.resolve_release(release_spec)
    area = next(
        (a for a in selectors.areas(level, release.id) if a.code == code), None
    )  # fmt: skip
    if area is None:
        raise NotFound("area", code, [], f"There is no {level} {code!r} in release {release.id}.")
    results = list(selectors.release_results(release.id, level=level, code=code, breakdown=None))
    return AreaExport(release, area, results)


def export_csv(export: AreaExport) -> bytes:
    """The open data API's tidy CSV of the area (UTF-8 with BOM, formula-safe)."""
    return "".join(open_data.csv_chunks(export.results, export.release)).encode("utf-8")


def _cell(column: int, value: str):
    """A CSV cell as the workbook holds it: numbers as numbers (to sum and sort), text as
    string cells without the CSV's formula guard (a string cell never runs)."""
    if column in NUMERIC:
        for kind in (int, float):
            try:
                return kind(value)
            except ValueError:
                pass
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def export_xlsx(export: AreaExport, produced: date | None = None) -> bytes:
    """Results (the CSV's table), Definitions (every measure) and Notes (release, policy,
    symbols, source, attribution, date produced)."""
    buffer = io.BytesIO()
    book = new_workbook(buffer)
    add_sheet(book, "Results", open_data.CSV_COLUMNS, (
        [_cell(i, v) for i, v in enumerate(open_data.csv_row(result, export.release))]
        for result in export.results
    ))  # fmt: skip
    year = export.release.audit_year
    add_sheet(book, "Definitions", ("Measure", "Name", "Group", "Kind", "Polarity",
                                    "Population", "Definition"), (
        [m.number, m.name, m.group.value, m.kind.value, POLARITY_WORDS[m.polarity.value],
         POPULATIONS.get(m.population, m.population), definition_for(m.number, year)]
        for m in MEASURES
    ))  # fmt: skip
    notes = book.add_worksheet("Notes")
    for number, line in enumerate(notes_lines(export, produced or timezone.localdate())):
        write_row(notes, number, line)
    book.close()
    return buffer.getvalue()


# CSV columns holding numbers (by position): the release, counts, value and interval ends.
NUMBER_COLUMNS = ("release_id", "numerator", "denominator", "value", "ci95_low", "ci95_high",
                  "ci998_low", "ci998_high")  # fmt: skip
NUMERIC = {open_data.CSV_COLUMNS.index(c) for c in NUMBER_COLUMNS}
POLARITY_WORDS = {"up": "Higher is better", "down": "Lower is better",
                  "none": "No better direction", "n/a": "A count, not compared"}  # fmt: skip


def notes_lines(export: AreaExport, produced: date) -> list[tuple[str, str]]:
    release = export.release
    return [
        ("Area", f"{export.area.name} ({export.area.level} {export.area.code})"),
        ("Release", f"{release.label} release, id {release.id}"),
        ("Calculated as at", release.calculation_date.isoformat()),
        ("Published", release.created_at.date().isoformat()),
        ("Disclosure control policy", release.disclosure_policy),
        ("Disclosure control", sdc.footnote(release.disclosure_policy)),
        ("Symbols", f"{sdc.SUPPRESSED} withheld to protect confidentiality; "
                    f"{sdc.NOT_APPLICABLE} not applicable (no children in the denominator)"),
        ("Source", SOURCE),
        ("Attribution", f"{OGL_ATTRIBUTION} {RCPCH_ATTRIBUTION}"),
        ("Produced", produced.isoformat()),
    ]  # fmt: skip
