"""Whole numbers read from URLs, queries and forms (constants.numbers)."""

import pytest

from constants.numbers import BIGGEST_ID, whole_number, year_number


@pytest.mark.parametrize("text, expected", [
    ("0", 0), ("42", 42), ("007", 7), (42, 42), (str(BIGGEST_ID), BIGGEST_ID),
])  # fmt: skip
def test_ascii_digits_within_bounds_are_read(text, expected):
    assert whole_number(text) == expected


@pytest.mark.parametrize("text", [
    "", " 1", "1 ", "1\n", "-1", "+1", "1.0", "1e3", "abc", "²", "٣", "１", "0" * 20,
    "9" * 5000, str(BIGGEST_ID + 1), None, True, 1.0, ["1"],
])  # fmt: skip
def test_anything_else_is_none(text):
    assert whole_number(text) is None


@pytest.mark.parametrize("text, expected", [
    ("2024", 2024), ("1", 1), ("9999", 9999), ("0", None), ("10000", None), ("²", None),
])  # fmt: skip
def test_a_year_is_one_a_date_can_hold(text, expected):
    assert year_number(text) == expected
