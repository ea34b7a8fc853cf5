"""Error reports of a stored submission: CSV, and XLSX with the original data highlighted.

Built on demand from the stored file and the errors kept on the patients and visits, so the
report always matches what was stored. Every cell written out is protected against formula
injection.
"""

import csv
import io
from dataclasses import dataclass

from django.db.models import Min
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from constants.csv_template import Template, template_for
from npda.data_model.models import Patient, Submission, Visit
from npda.spreadsheets import csv_row, xlsx_cell, xlsx_row
from npda.submissions.reader import open_upload

HIGHLIGHT = PatternFill(start_color="FFF2B8B8", end_color="FFF2B8B8", fill_type="solid")
REPORT_HEADINGS = ["Row", "NHS Number", "Column", "Value", "Code", "Message"]


@dataclass(frozen=True)
class ErrorRow:
    row: int
    identifier: str
    field: str
    code: str
    message: str
    template: Template

    @property
    def column(self) -> str:
        column = self.template.by_field.get(self.field)
        return column.heading.strip() if column else self.field


def _template(submission: Submission) -> Template:
    return template_for(submission.audit_period.dataset_year)


def submission_errors(submission: Submission) -> list[ErrorRow]:
    """Every error of the submission, by row: a child's own errors are shown on its first row."""
    visits = Visit.objects.filter(submission=submission)
    visit_errors = list(visits.exclude(errors={}).values_list("patient_id", "source_row", "errors"))
    children_with_errors = submission.patients.exclude(errors={}).values("pk")
    first_row = dict(
        visits.filter(patient__in=children_with_errors)
        .values("patient_id")
        .annotate(first=Min("source_row"))
        .values_list("patient_id", "first")
    )
    involved = set(first_row) | {patient_id for patient_id, _, _ in visit_errors}
    patients = Patient.objects.filter(pk__in=involved).values_list(
        "pk", "nhs_number", "unique_reference_number", "errors"
    )
    identifiers = {pk: nhs or urn or "" for pk, nhs, urn, _ in patients}
    template = _template(submission)
    rows: list[ErrorRow] = []
    for pk, _, _, errors in patients:
        if pk in first_row:
            rows.extend(_rows(first_row[pk], identifiers[pk], errors, template))
    for patient_id, source_row, errors in visit_errors:
        rows.extend(_rows(source_row, identifiers[patient_id], errors, template))
    return sorted(rows, key=lambda r: (r.row, r.field))


def _rows(row: int, identifier: str, errors: dict, template: Template) -> list[ErrorRow]:
    return [
        ErrorRow(row, identifier, field, problem["code"], problem["message"], template)
        for field, problems in errors.items()
        for problem in problems
    ]


def _original_rows(submission: Submission) -> tuple[list[str], dict[int, dict[str, str]]]:
    """The stored file's headings and its rows' cells by field."""
    template = _template(submission)
    content = b""
    if submission.csv_file:
        with submission.csv_file.open("rb") as stored:  # from the start, however often read
            content = stored.read()
    if not content:
        return template.headings(), {}
    upload, _ = open_upload(content, submission.paediatric_diabetes_unit_id, template)
    jersey = upload.identifier.field == "unique_reference_number"
    return template.headings(jersey=jersey), dict(upload.rows())


def _cell_value(original: dict[int, dict[str, str]], error: ErrorRow) -> str:
    return original.get(error.row, {}).get(error.field, "")


def errors_csv(submission: Submission) -> bytes:
    errors = submission_errors(submission)
    _, original = _original_rows(submission)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REPORT_HEADINGS)
    for error in errors:
        writer.writerow(
            csv_row(
                [
                    error.row,
                    error.identifier,
                    error.column,
                    _cell_value(original, error),
                    error.code,
                    error.message,
                ]
            )
        )
    return buffer.getvalue().encode("utf-8-sig")  # BOM: Excel opens it as UTF-8


def errors_xlsx(submission: Submission) -> bytes:
    """Three sheets: the original data, the data with erroneous cells highlighted and
    annotated, and the list of all errors (csv-submission.md §1)."""
    errors = submission_errors(submission)
    headings, original = _original_rows(submission)
    fields = ["unique_reference_number" if headings[0] != "NHS Number" else "nhs_number"]
    fields += [c.field for c in _template(submission).columns[1:]]
    by_cell: dict[tuple[int, str], list[ErrorRow]] = {}
    for error in errors:
        by_cell.setdefault((error.row, error.field), []).append(error)

    book = Workbook(write_only=True)
    plain = book.create_sheet("Original data")
    marked = book.create_sheet("Data with errors")
    listed = book.create_sheet("Errors")
    bold = Font(bold=True)
    for sheet in (plain, marked):
        sheet.append(
            [_bold_cell(sheet, "Row", bold)] + [_bold_cell(sheet, h, bold) for h in headings]
        )
    for number in sorted(original):
        values = original[number]
        plain.append([number, *xlsx_row(plain, [values.get(f, "") for f in fields])])
        marked.append([number, *(_marked_cell(marked, values, number, f, by_cell) for f in fields)])
    listed.append([_bold_cell(listed, h, bold) for h in REPORT_HEADINGS])
    for error in errors:
        listed.append(
            xlsx_row(
                listed,
                [
                    error.row,
                    error.identifier,
                    error.column,
                    _cell_value(original, error),
                    error.code,
                    error.message,  # it begins with the submitted value
                ],
            )
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _bold_cell(sheet, value: str, font: Font):
    cell = xlsx_cell(sheet, value)
    cell.font = font
    return cell


def _marked_cell(sheet, values: dict, number: int, field: str, by_cell: dict):
    cell = xlsx_cell(sheet, values.get(field, ""))
    problems = by_cell.get((number, field))
    if not problems:
        return cell
    cell.fill = HIGHLIGHT
    cell.comment = Comment("\n".join(f"{p.code}: {p.message}" for p in problems), "NPDA")
    return cell
