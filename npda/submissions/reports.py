"""Error reports of a stored submission: CSV, and XLSX with the original data highlighted.

Built on demand from the stored file and the errors kept on the patients and visits, so the
report always matches what was stored. Every cell written out is protected against formula
injection.
"""

import csv
import io
from dataclasses import dataclass

from django.db.models import Min

from constants.csv_template import Template, template_for
from npda.data_model.models import Patient, Submission, SubmissionRecords, Visit
from npda.spreadsheets import add_sheet, csv_row, new_workbook, write_row
from npda.submissions.reader import open_upload
from npda.submissions.records import unpack

HIGHLIGHT = "#F2B8B8"  # the fill of a cell with an error
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
    """Every error of the submission, by row: a child's own errors are shown on its first row.
    The version in use reads its stored children and visits; a draft or an earlier version
    reads the records it was checked with (its visits are not stored)."""
    if not submission.is_active and SubmissionRecords.objects.filter(submission=submission):
        return _errors_from_records(submission)
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


def _errors_from_records(submission: Submission) -> list[ErrorRow]:
    patients, visits = unpack(bytes(submission.records.packed))
    template = _template(submission)
    first_row: dict[str, int] = {}
    rows: list[ErrorRow] = []
    for visit in visits:
        first_row.setdefault(visit.patient_key, visit.source_row)
        rows.extend(_rows(visit.source_row, visit.patient_key, visit.errors, template))
    for patient in patients:
        if patient.errors and patient.key in first_row:
            rows.extend(_rows(first_row[patient.key], patient.key, patient.errors, template))
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
    buffer = io.BytesIO()
    book = new_workbook(buffer)
    add_error_sheets(book, submission)
    book.close()
    return buffer.getvalue()


def add_error_sheets(book, submission: Submission) -> None:
    """The error report's three sheets, added to a workbook (npda.spreadsheets)."""
    errors = submission_errors(submission)
    headings, original = _original_rows(submission)
    fields = ["unique_reference_number" if headings[0] != "NHS Number" else "nhs_number"]
    fields += [c.field for c in _template(submission).columns[1:]]
    rows = [[number, *(original[number].get(f) for f in fields)] for number in sorted(original)]
    add_sheet(book, "Original data", ["Row", *headings], rows)
    _marked_sheet(book, ["Row", *headings], rows, errors, fields)
    add_sheet(book, "Errors", REPORT_HEADINGS, (
        [e.row, e.identifier, e.column, _cell_value(original, e), e.code, e.message]
        for e in errors
    ))  # fmt: skip


def _marked_sheet(book, headings: list[str], rows: list[list], errors, fields) -> None:
    """The rows again, each cell with an error highlighted with its problems as the cell's
    comment (written row by row: the workbook keeps only the current row in memory)."""
    column = {field: index for index, field in enumerate(fields, start=1)}
    by_row: dict[int, dict[int, list[ErrorRow]]] = {}
    for error in errors:
        if error.field in column:
            cells = by_row.setdefault(error.row, {})
            cells.setdefault(column[error.field], []).append(error)
    sheet = book.add_worksheet("Data with errors")
    write_row(sheet, 0, headings, book.add_format({"bold": True}))
    highlight = book.add_format({"bg_color": HIGHLIGHT})
    for line, values in enumerate(rows, start=1):
        write_row(sheet, line, values)
        for index, problems in by_row.get(values[0], {}).items():
            sheet.write_string(line, index, values[index] or "", highlight)
            text = "\n".join(f"{p.code}: {p.message}" for p in problems)
            sheet.write_comment(line, index, text, {"author": "NPDA"})
