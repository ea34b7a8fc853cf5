"""Spreadsheet-safe text: the one rule for every CSV and XLSX the platform writes."""

import io

import pytest
from openpyxl import load_workbook

from npda.spreadsheets import csv_row, csv_text, new_workbook, write_row


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_text_that_would_run_gets_an_apostrophe(start):
    assert csv_text(f"{start}1+1") == f"'{start}1+1"


def test_other_csv_values_are_untouched():
    assert csv_text("PZ041") == "PZ041" and csv_text(None) == "" and csv_text(12) == "12"
    assert csv_row(["=A1", 3, 2.5, None]) == ["'=A1", 3, 2.5, None]


def test_xlsx_text_is_a_string_cell_shown_as_submitted():
    buffer = io.BytesIO()
    book = new_workbook(buffer)
    sheet = book.add_worksheet("s")
    write_row(sheet, 0, ['=HYPERLINK("http://x")', "@SUM(A1)", 7, "plain", "0123",
                         "http://x.example", None, "after a blank"])  # fmt: skip
    book.close()
    cells = next(load_workbook(buffer)["s"].iter_rows())
    assert [(c.value, c.data_type) for c in cells] == [
        ('=HYPERLINK("http://x")', "s"), ("@SUM(A1)", "s"), (7, "n"), ("plain", "s"),
        ("0123", "s"), ("http://x.example", "s"), (None, "n"), ("after a blank", "s"),
    ]  # fmt: skip
    assert cells[5].hyperlink is None  # text that looks like a link stays text
