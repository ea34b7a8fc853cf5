import pytest

from npda.data_model.identifiers import is_valid_nhs_number, nhs_number_check_digit
from tests.factories import synthetic_nhs_number


def test_known_valid_number():
    assert nhs_number_check_digit("943476591") == 9
    assert is_valid_nhs_number("9434765919")


@pytest.mark.parametrize("number", ["9434765918", "943476591", "94347659190", "943476591X"])
def test_invalid_numbers(number):
    assert not is_valid_nhs_number(number)


def test_check_digit_ten_means_no_valid_number():
    # 10*1 + 9*0*7 ... chosen so that 11 - (sum mod 11) == 10
    first_nine = next(
        f"{n:09d}" for n in range(1, 10_000) if nhs_number_check_digit(f"{n:09d}") is None
    )
    assert not any(is_valid_nhs_number(first_nine + str(d)) for d in range(10))


def test_check_digit_eleven_becomes_zero():
    first_nine = next(
        f"{n:09d}" for n in range(1, 10_000) if nhs_number_check_digit(f"{n:09d}") == 0
    )
    assert is_valid_nhs_number(first_nine + "0")


def test_synthetic_numbers_are_valid_and_in_the_test_range():
    numbers = [synthetic_nhs_number(n) for n in range(200)]
    assert all(is_valid_nhs_number(n) and n.startswith("999") for n in numbers)


def test_synthetic_numbers_are_distinct():
    numbers = [synthetic_nhs_number(n) for n in range(5000)]
    assert len(set(numbers)) == 5000
