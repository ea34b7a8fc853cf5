"""Text that a spreadsheet shows and never runs: the one rule for every CSV and XLSX the
platform writes (open data, suppression logs, error reports, exports).

A CSV cell starting with =, +, -, @, a tab or a return is a formula to Excel and LibreOffice:
it gets a leading apostrophe (OWASP's advice). Workbooks are written with XlsxWriter set never
to turn text into a formula, a number or a link: a text cell is shown exactly as submitted and
never evaluated. Rows are written as they come (constant memory), blanks left empty.
"""

from collections.abc import Iterable

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_text(value) -> str:
    """A CSV cell's text, an apostrophe in front of what would start a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_row(values) -> list:
    """Every text cell neutralised; numbers stay numbers."""
    return [csv_text(v) if isinstance(v, str) else v for v in values]


def new_workbook(output) -> xlsxwriter.Workbook:
    """A workbook writing to `output` (a file or BytesIO) when closed, its text never a
    formula, number or link, each sheet's rows written in order."""
    return xlsxwriter.Workbook(output, {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
        "strings_to_urls": False,
    })  # fmt: skip


def write_row(sheet: Worksheet, row: int, values: Iterable, cell_format: Format | None = None):
    """Numbers as numbers, anything else as text; a blank (None or "") is left empty."""
    for column, value in enumerate(values):
        if value is None or value == "":
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            sheet.write_number(row, column, value, cell_format)
        else:
            sheet.write_string(row, column, str(value), cell_format)


def add_sheet(book: xlsxwriter.Workbook, name: str, headings, rows: Iterable) -> Worksheet:
    """A sheet of a table: bold headings, then each row."""
    sheet = book.add_worksheet(name)
    write_row(sheet, 0, headings, book.add_format({"bold": True}))
    for number, values in enumerate(rows, start=1):
        write_row(sheet, number, values)
    return sheet
