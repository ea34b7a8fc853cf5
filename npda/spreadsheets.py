"""Text that a spreadsheet shows and never runs: the one rule for every CSV and XLSX the
platform writes (open data, suppression logs, error reports, exports).

A CSV cell starting with =, +, -, @, a tab or a return is a formula to Excel and LibreOffice:
it gets a leading apostrophe (OWASP's advice). An XLSX text cell is written as a string cell,
so it is shown exactly as submitted and never evaluated.
"""

from openpyxl.cell import WriteOnlyCell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value) -> str:
    """A CSV cell's text, an apostrophe in front of what would start a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_row(values) -> list:
    """Every text cell neutralised; numbers stay numbers."""
    return [csv_text(v) if isinstance(v, str) else v for v in values]


def xlsx_cell(sheet, value):
    """A write-only sheet's cell: text typed as a string (openpyxl would make "=..." a
    formula), anything else as it is."""
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def xlsx_row(sheet, values) -> list:
    return [xlsx_cell(sheet, v) for v in values]
