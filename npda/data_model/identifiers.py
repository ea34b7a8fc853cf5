"""NHS number rules (csv-submission.md §5.5)."""

NHS_NUMBER_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def nhs_number_check_digit(first_nine: str) -> int | None:
    """The Modulus 11 check digit for nine digits, or None when no digit is possible (10)."""
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise ValueError("expected nine digits")
    total = sum(int(d) * w for d, w in zip(first_nine, NHS_NUMBER_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def is_valid_nhs_number(number: str) -> bool:
    if len(number) != 10 or not number.isdigit():
        return False
    return nhs_number_check_digit(number[:9]) == int(number[9])
