"""File-level reading of an NPDA CSV (csv-submission.md §3-§5): fatal checks F01-F16.

The file is read twice as a stream (never all rows in memory at once): a first pass checks the
structure, identifiers and PDU numbers; `rows()` then yields each data row's cells by template
field for the record-building pass.
"""

import csv
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

from constants.csv_template import (
    JERSEY_PZ_CODE,
    NHS_NUMBER_HEADING,
    TEMPLATES,
    UNIQUE_REFERENCE_NUMBER_COLUMN,
    UNIQUE_REFERENCE_NUMBER_HEADING,
    Column,
    Template,
    normalise_heading,
)
from npda.submissions import cells
from npda.submissions.messages import FATAL, WARNING

MEGABYTE = 1024 * 1024
_NHS_HEADINGS = {
    normalise_heading(t) for t in (NHS_NUMBER_HEADING, *TEMPLATES[2021].columns[0].aliases)
}
_URN_HEADING = normalise_heading(UNIQUE_REFERENCE_NUMBER_HEADING)
_PDU_FIELD = "paediatric_diabetes_unit"


@functools.cache
def _headings(template: Template) -> dict[str, Column]:
    """Normalised heading or alternative heading -> the template column (not the identifier)."""
    return {
        normalise_heading(text): column
        for column in template.columns[1:]
        for text in (column.heading, *column.aliases)
    }


class FatalError(Exception):
    def __init__(self, code: str, key: str | None = None, **values):
        self.code = code
        self.message = FATAL[key or code].format(**values)
        super().__init__(self.message)


@dataclass
class Warning_:
    code: str
    message: str
    row: int | None = None
    field: str = ""  # the column it is about ("" when it is about a whole row or the file)


@dataclass
class UploadFile:
    text: str
    columns: dict[str, int]  # field -> index in the row
    identifier: Column
    row_count: int
    warnings: list[Warning_] = field(default_factory=list)

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(row number, {field: non-blank cleaned cell}) for every data row, in file order."""
        reader = csv.reader(lines(self.text), strict=True)
        next(reader)
        columns = tuple(self.columns.items())
        for number, row in enumerate(reader, start=2):
            width = len(row)
            values = {}
            for name, index in columns:
                # Most cells are empty: only a cell with text is cleaned.
                if index < width and row[index] and (value := cells.clean(row[index])):
                    values[name] = value
            if values or any(cell.strip() for cell in row):
                yield number, values


def decode(content: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, which covers ISO-8859-1 (§5.1)."""
    body = memoryview(content)[3:] if content.startswith(b"\xef\xbb\xbf") else content
    for encoding in ("utf-8", "cp1252"):
        try:
            return str(body, encoding)
        except UnicodeDecodeError:
            continue
    raise FatalError("F02")


def lines(text: str) -> Iterator[str]:
    """The text's lines with their endings, one at a time: the csv module asks for more when
    a quoted cell spans lines. (io.StringIO would hold a 4-byte-per-character copy.)"""
    start, length = 0, len(text)
    while start < length:
        end = text.find("\n", start)
        end = length if end == -1 else end + 1
        yield text[start:end]
        start = end


def read_upload(
    content: bytes,
    file_name: str,
    pz_code: str,
    *,
    template: Template,
    period_label: str,
    period_is_open: bool,
    may_upload_to_closed_period: bool,
    size_limit_mb: float,
) -> UploadFile:
    """Check the file as a whole, in the order of §4; the first failure raises FatalError."""
    if len(content) > size_limit_mb * MEGABYTE:
        raise FatalError("F16", size=f"{len(content) / MEGABYTE:.1f}", limit=f"{size_limit_mb:g}")
    if not file_name.lower().endswith(".csv") or b"\x00" in content[:65536]:
        raise FatalError("F01")
    upload, heading_count = open_upload(content, pz_code, template, period_label=period_label)
    _check_rows(upload, heading_count, pz_code)
    if not period_is_open and not may_upload_to_closed_period:
        raise FatalError("F15", period=period_label)
    return upload


def open_upload(
    content: bytes, pz_code: str, template: Template, *, period_label: str = ""
) -> tuple[UploadFile, int]:
    """The decoded file with its columns matched to the period's template (F02-F04, F07-F10),
    before the pass over the rows; also how many headings it has. A stored, accepted file is
    read back with this alone."""
    text = decode(content)
    header, data_rows = _first_rows(text)
    if not header or data_rows == 0:
        raise FatalError("F03")
    jersey = pz_code == JERSEY_PZ_CODE
    columns, identifier, unrecognised = _match_headings(header, jersey, template, period_label)
    upload = UploadFile(text, columns, identifier, 0)
    if unrecognised:
        upload.warnings.append(
            Warning_("W05", WARNING["W05"].format(columns=", ".join(unrecognised)))
        )
    return upload, len(header)


def _first_rows(text: str) -> tuple[list[str], int]:
    reader = csv.reader(lines(text), strict=True)
    header: list[str] = []
    data_rows = 0
    try:
        for row in reader:
            if not header:
                header = row if any(cell.strip() for cell in row) else []
                if not header:
                    return [], 0
            elif any(cell.strip() for cell in row):
                data_rows += 1
                break
    except csv.Error:
        return header, 1  # reported with its row number by the full pass
    return header, data_rows


def _match_headings(
    header: list[str], jersey: bool, template: Template, period_label: str
) -> tuple[dict, Column, list[str]]:
    headings = _headings(template)
    normalised = [normalise_heading(h) for h in header]
    found: dict[str, list[int]] = {}
    has_nhs, has_urn, unrecognised = [], [], []
    for index, (original, name) in enumerate(zip(header, normalised, strict=True)):
        base = _without_duplicate_suffix(name, headings)
        if base in _NHS_HEADINGS:
            has_nhs.append(index)
        elif base == _URN_HEADING:
            has_urn.append(index)
        elif base in headings:
            found.setdefault(headings[base].field, []).append(index)
        elif name:
            unrecognised.append(original.strip())
    if not found and not has_nhs and not has_urn:
        raise FatalError("F04")
    if has_nhs and has_urn:
        raise FatalError("F07")
    if not has_nhs and not has_urn:
        raise FatalError("F08")
    if jersey and has_nhs:
        raise FatalError("F09", "F09_JERSEY")
    if not jersey and has_urn:
        raise FatalError("F09")
    identifier = UNIQUE_REFERENCE_NUMBER_COLUMN if jersey else template.columns[0]
    found[identifier.field] = has_urn if jersey else has_nhs
    _check_column_set(found, unrecognised, identifier, template, period_label, normalised)
    return {name: indexes[0] for name, indexes in found.items()}, identifier, unrecognised


def _without_duplicate_suffix(name: str, headings: dict[str, Column]) -> str:
    """Spreadsheet tools rename a repeated heading "X" to "X.1"."""
    head, dot, tail = name.rpartition(".")
    known = head in headings or head in _NHS_HEADINGS or head == _URN_HEADING
    return head if dot and tail.isdigit() and known else name


def _check_column_set(
    found: dict[str, list[int]],
    unrecognised: list[str],
    identifier: Column,
    template: Template,
    period_label: str,
    normalised: list[str],
) -> None:
    expected = [identifier, *template.columns[1:]]
    missing = [c.heading.strip() for c in expected if c.field not in found]
    repeated = [c.heading.strip() for c in expected if len(found.get(c.field, [])) > 1]
    if not missing and not repeated:
        return
    lists = {
        "missing": ", ".join(missing) or "none",
        "repeated": ", ".join(repeated) or "none",
        "unrecognised": ", ".join(unrecognised) or "none",
    }
    other = _other_template_in_use(normalised, template)
    raise FatalError(
        "F10",
        "F10_OTHER_TEMPLATE" if other else None,
        template=template.description,
        period=period_label or "this",
        found=other.name if other else "",
        **lists,
    )


def _other_template_in_use(normalised: list[str], expected: Template) -> Template | None:
    """The other dataset year's template, when the file has every one of its headings."""
    given = set(normalised)
    for template in TEMPLATES.values():
        headings = _headings(template)
        columns_given = {headings[name].field for name in given if name in headings}
        if template is not expected and len(columns_given) == len(template.columns) - 1:
            return template
    return None


def _check_rows(upload: UploadFile, width: int, pz_code: str) -> None:
    """Row lengths, blank identifiers and PDU numbers over the whole file (F05, F06, F11-F14)."""
    identifier_index = upload.columns[upload.identifier.field]
    pdu_index = upload.columns[_PDU_FIELD]
    blank_identifier_rows, codes_found, invalid, blank_pdu = [], set(), [], 0
    reader = csv.reader(lines(upload.text), strict=True)
    next(reader)
    number = 1
    try:
        for number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            upload.row_count += 1
            if len(row) > width:
                if upload.row_count == 1:
                    raise FatalError("F05")
                raise FatalError("F06", row=number, found=len(row), expected=width)
            if identifier_index >= len(row) or cells.clean(row[identifier_index]) is None:
                blank_identifier_rows.append(number)
            pdu_text = cells.clean(row[pdu_index]) if pdu_index < len(row) else None
            if pdu_text is None:
                blank_pdu += 1
            elif (code := cells.normalise_pdu_number(pdu_text)) is None:
                invalid.append(pdu_text)
            else:
                codes_found.add(code)
    except csv.Error as exc:
        raise FatalError("F06", "F06_CSV", row=number + 1, problem=str(exc)) from None
    if blank_identifier_rows:
        key = "F11_JERSEY" if upload.identifier.field == "unique_reference_number" else None
        raise FatalError("F11", key, rows=_row_list(blank_identifier_rows))
    if len(codes_found) > 1:
        raise FatalError("F12", codes=", ".join(sorted(codes_found)))
    if codes_found and codes_found != {pz_code}:
        raise FatalError("F13", found=codes_found.pop(), expected=pz_code)
    if not codes_found or invalid:
        raise FatalError("F14", value=invalid[0] if invalid else "blank")
    if blank_pdu:
        upload.warnings.append(
            Warning_(
                "W03",
                WARNING["W03"].format(n=blank_pdu, pz_code=pz_code),
                field="paediatric_diabetes_unit",
            )
        )


def _row_list(rows: list[int], limit: int = 20) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def patient_level_fields(identifier: Column, template: Template) -> list[str]:
    return [identifier.field, *template.patient_fields]
