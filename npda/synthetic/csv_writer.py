"""Write a unit's synthetic records as an NPDA CSV in its year's template (csv-submission.md §2,
and Appendix A from 2026-27).

Row n of the file (header = row 1) is the visit whose `source_row` is n, so importing the file
gives back the same children and visits. Dates DD/MM/YYYY, decimals as stored (1 or 2 dp),
codes as integers, blanks empty; the patient-level columns are repeated on each of a child's rows.
"""

import csv
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TextIO

from constants.csv_template import JERSEY_PZ_CODE, Column, Target

from .generator import UnitCohort, visit_fields


def csv_file_name(pz_code: str, period_slug: str) -> str:
    """Named from the PZ code first, as the upload guidance asks."""
    return f"{pz_code} NPDA data {period_slug}.csv"


def write_unit_csv_file(directory: Path, cohort: UnitCohort, period_slug: str) -> Path:
    path = Path(directory) / csv_file_name(cohort.pz_code, period_slug)
    with path.open("w", encoding="utf-8", newline="") as stream:
        write_unit_csv(stream, cohort)
    return path


def write_unit_csv(stream: TextIO, cohort: UnitCohort) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(cohort.template.headings(jersey=cohort.pz_code == JERSEY_PZ_CODE))
    writer.writerows(csv_rows(cohort))


def csv_rows(cohort: UnitCohort) -> Iterator[list[str]]:
    text = _Formatter()
    template = cohort.template
    patient_columns = template.columns[1 : template.patient_level_count]
    patients = {
        p.key: _patient_cells(p, cohort.pz_code, text, patient_columns) for p in cohort.patients
    }
    names = visit_fields(template)
    for visit in cohort.visits:
        fields = visit.fields
        yield patients[visit.patient_key] + [text(fields.get(name)) for name in names]


def _patient_cells(
    record, pz_code: str, text: Callable[[object], str], columns: tuple[Column, ...]
) -> list[str]:
    cells = [record.key]
    for column in columns:
        if column.target == Target.SUBMISSION:
            cells.append(pz_code)
        elif column.target == Target.SITE:
            cells.append(text(record.site_fields.get(column.field)))
        else:
            cells.append(text(record.fields.get(column.field)))
    return cells


class _Formatter:
    """A cell's text: None blank, dates day first, decimals and codes as they are."""

    def __init__(self) -> None:
        self._dates: dict[date, str] = {}

    def __call__(self, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, date):
            text = self._dates.get(value)
            if text is None:
                text = self._dates[value] = value.strftime("%d/%m/%Y")
            return text
        return str(value)
