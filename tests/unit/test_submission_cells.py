"""Cell parsing rules of csv-submission.md §5."""

from datetime import date
from decimal import Decimal

import pytest

from constants.csv_template import normalise_heading
from npda.submissions import cells
from npda.submissions.cells import CellError

TODAY = date(2025, 6, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01/04/2024", date(2024, 4, 1)),
        ("1/4/2024", date(2024, 4, 1)),
        ("01/04/24", date(2024, 4, 1)),
        ("01/04/99", date(1999, 4, 1)),  # 2099 would be in the future
        ("01-04-2024", date(2024, 4, 1)),
        ("01.04.2024", date(2024, 4, 1)),
        ("2024-04-01", date(2024, 4, 1)),
        ("01/04/2024 00:00", date(2024, 4, 1)),
        ("2024-04-01T13:45:00", date(2024, 4, 1)),
        ("12/05/2024", date(2024, 5, 12)),  # day first, never month first
    ],
)
def test_dates_are_read_day_first(text, expected):
    assert cells.parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    "text", ["31/02/2024", "04/13/2024", "2024/04/01", "yesterday", "1.4", "01/04-2024", "44927"]
)
def test_bad_dates_are_e01(text):
    with pytest.raises(CellError) as caught:
        cells.parse_date(text, TODAY)
    assert caught.value.code == "E01"


def test_two_digit_year_is_this_century_unless_that_is_future():
    assert cells.parse_date("01/01/25", TODAY) == date(2025, 1, 1)
    assert cells.parse_date("01/01/26", TODAY) == date(1926, 1, 1)


@pytest.mark.parametrize("text", ["1", "1.0", "1.00", "+1"])
def test_codes_accept_whole_numbers(text):
    assert cells.parse_code(text, {1, 2, 99}) == 1


@pytest.mark.parametrize("text", ["1.5", "A", "-1", "32768", "3", ""])
def test_codes_reject_everything_else(text):
    with pytest.raises(CellError) as caught:
        cells.parse_code(text, {1, 2, 99})
    assert caught.value.code == "E20"


def test_legacy_codes_are_converted():
    assert cells.parse_code("9", {1, 2, 99}, {9: 99}) == 99
    assert cells.parse_sex("0") == 99 and cells.parse_sex("9") == 3


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("M", 1),
        ("male", 1),
        ("F", 2),
        ("Female", 2),
        ("Not specified", 3),
        ("unknown", 99),
        ("Not  Known", 99),
        ("2", 2),
    ],
)
def test_sex_words(text, code):
    assert cells.parse_sex(text) == code


def test_decimals_round_half_up():
    assert cells.parse_decimal("150.25", 1) == Decimal("150.3")
    assert cells.parse_decimal("150.35", 1) == Decimal("150.4")
    assert cells.parse_decimal("7.555", 2) == Decimal("7.56")
    assert cells.parse_decimal(".5", 1) == Decimal("0.5")


@pytest.mark.parametrize("text", ["1,5", "12 kg", "abc", "1e3", "NaN", "--1"])
def test_non_numbers_are_e21(text):
    with pytest.raises(CellError) as caught:
        cells.parse_decimal(text, 1)
    assert caught.value.code == "E21"


def test_blood_pressure_must_be_whole():
    assert cells.parse_whole_number("120.0") == 120
    with pytest.raises(CellError):
        cells.parse_whole_number("120.5")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PZ180", "PZ180"),
        ("180", "PZ180"),
        ("180.0", "PZ180"),
        ("pz 74", "PZ074"),
        ("074", "PZ074"),
        ("74.0", "PZ074"),
        ("PZ041.00", "PZ041"),
        ("P180", None),
        ("PZ1800", None),
        ("ABC", None),
        ("0", None),
    ],
)
def test_pdu_numbers(text, expected):
    assert cells.normalise_pdu_number(text) == expected


def test_nhs_numbers():
    assert cells.normalise_nhs_number("943 476 5919") == "9434765919"
    assert cells.normalise_nhs_number("943-476-5919") == "9434765919"
    assert cells.normalise_nhs_number("9434765919.0") == "9434765919"
    cells.check_nhs_number("9434765919")
    for bad in ("9434765918", "7.19573E+09", "943476591"):
        with pytest.raises(CellError):
            cells.check_nhs_number(cells.normalise_nhs_number(bad))


@pytest.mark.parametrize(
    "text", ["WC1X 8SH", "wc1x8sh", "M1 1AE", "ZZ99 3VZ", "JE2 3AB", "GIR 0AA", "B33 8TH"]
)
def test_postcodes_in_uk_form(text):
    cells.check_postcode(cells.normalise_postcode(text))


@pytest.mark.parametrize("text", ["12345", "WC1X", "NOT A CODE", "SW1A 1AAA"])
def test_postcodes_not_in_uk_form(text):
    with pytest.raises(CellError):
        cells.check_postcode(cells.normalise_postcode(text))


def test_cells_are_trimmed_and_blank_is_null():
    assert cells.clean("\u00a0 12 \u00a0") == "12"
    assert cells.clean("   ") is None


@pytest.mark.parametrize(
    "heading",
    [
        "NHS Number",
        "nhs number",
        " NHS  Number ",
        '"NHS Number"',
        "'NHS Number'",
        '""NHS Number""',
        "\ufeffNHS Number",
        "NHS\u00a0Number",
        "NHS Number*",
        "NHS Number†",
    ],
)
def test_heading_normalisation(heading):
    assert normalise_heading(heading) == "nhs number"
