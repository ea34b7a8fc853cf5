"""Build NPDA template CSV files for tests: rows are dicts of template field -> cell text."""

import csv
import io

from constants.csv_template import TEMPLATE_2021, TEMPLATE_2026, Template

VALID_CHILD = {
    "nhs_number": "9434765919",
    "date_of_birth": "15/06/2012",
    "postcode": "WC1X 8SH",
    "sex": "1",
    "ethnicity": "A",
    "diabetes_type": "1",
    "diagnosis_date": "03/03/2019",
    "gp_practice_ods_code": "A81001",
    "paediatric_diabetes_unit": "PZ041",
}
VALID_VISIT = {
    "visit_date": "10/06/2024",
    "hba1c": "58",
    "hba1c_format": "1",
    "hba1c_date": "10/06/2024",
}


def row(**cells: str) -> dict[str, str]:
    """A valid row of the default child, with `cells` changed or added."""
    return {**VALID_CHILD, **VALID_VISIT, **cells}


def row_2026(**cells: str) -> dict[str, str]:
    """A valid 2026-template row (no HbA1c format column; visit in 2026-27)."""
    visit = {"visit_date": "10/06/2026", "hba1c": "58", "hba1c_date": "10/06/2026"}
    return {**VALID_CHILD, **visit, **cells}


def make_csv(
    rows: list[dict[str, str]],
    *,
    headings: list[str] | None = None,
    jersey: bool = False,
    encoding: str = "utf-8",
    line_ending: str = "\r\n",
    template: Template = TEMPLATE_2021,
) -> bytes:
    headings = headings or template.headings(jersey=jersey)
    fields = ["unique_reference_number" if jersey else "nhs_number"]
    fields += [c.field for c in template.columns[1:]]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_ending)
    writer.writerow(headings)
    for cells in rows:
        writer.writerow([cells.get(name, "") for name in fields])
    return buffer.getvalue().encode(encoding)


def make_csv_2026(rows: list[dict[str, str]], **kwargs) -> bytes:
    return make_csv(rows, template=TEMPLATE_2026, **kwargs)
