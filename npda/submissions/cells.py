"""Parsing of single cells (csv-submission.md §5): dates, numbers, codes and identifiers.

Each parser returns the typed value, or raises CellError with the row-level error code, so the
caller stores null and records the error.
"""

import re
from collections.abc import Collection
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from constants.csv_template import IDENTIFIER_MAX_LENGTH
from npda.data_model.identifiers import is_valid_nhs_number


class CellError(ValueError):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


_DAY_FIRST = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?:[ T].*)?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_WHOLE = re.compile(r"^\+?\d+(?:\.0+)?$")
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)$")
_POSTCODE = re.compile(r"^(?:[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}|GIR0AA)$")
_GP_PRACTICE = re.compile(r"^[A-Z][0-9]{5}$")
_PDU = re.compile(r"^(?:PZ)?(\d{1,3})$")


def clean(text: str) -> str | None:
    """Non-breaking spaces become spaces; surrounding whitespace goes; empty means null."""
    value = text.replace("\u00a0", " ").strip()
    return value or None


@lru_cache(maxsize=65536)  # files repeat dates and values: share one object per distinct text
def parse_date(text: str, today: date) -> date:
    """Day first, never month first (§5.2). DD/MM/YY is 20YY unless that is in the future."""
    if match := _DAY_FIRST.match(text):
        day, month, year = int(match[1]), int(match[3]), match[4]
        if len(year) == 2:
            full = 2000 + int(year)
            year_value = full if full <= today.year else full - 100
        else:
            year_value = int(year)
    elif match := _ISO.match(text):
        year_value, month, day = int(match[1]), int(match[2]), int(match[3])
    else:
        raise CellError("E01")
    try:
        return date(year_value, month, day)
    except ValueError:
        raise CellError("E01") from None


def parse_code(text: str, allowed: Collection[int], legacy: dict[int, int] | None = None) -> int:
    if not _WHOLE.match(text):
        raise CellError("E20")
    value = int(Decimal(text))
    value = (legacy or {}).get(value, value)
    if value not in allowed:
        raise CellError("E20")
    return value


@lru_cache(maxsize=65536)
def parse_decimal(text: str, places: int) -> Decimal:
    """A number with '.' as the only separator, rounded half-up to `places` decimals."""
    if not _NUMBER.match(text):
        raise CellError("E21")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CellError("E21") from None
    try:
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than a Decimal holds: far too large for any field,
        return value  # which the field's range or capacity check then says


def parse_whole_number(text: str) -> int:
    """Blood pressure: 120 and 120.0 are fine, 120.5 is not."""
    value = parse_decimal(text, 6)
    if value != value.to_integral_value():
        raise CellError("E21")
    return int(value)


SEX_WORDS = {
    "m": 1,
    "male": 1,
    "f": 2,
    "female": 2,
    "not specified": 3,
    "unknown": 99,
    "not known": 99,
}
SEX_LEGACY = {0: 99, 9: 3}


def parse_sex(text: str) -> int:
    word = SEX_WORDS.get(" ".join(text.lower().split()))
    if word is not None:
        return word
    return parse_code(text, {1, 2, 3, 99}, SEX_LEGACY)


def parse_ethnicity(text: str, allowed: Collection[str]) -> str:
    value = text.upper()
    if value not in allowed:
        raise CellError("E20")
    return value


def normalise_nhs_number(text: str) -> str:
    """Spaces, hyphens and a spreadsheet's trailing .0 removed (§5.5)."""
    value = text.replace(" ", "").replace("-", "")
    return value[:-2] if value.endswith(".0") else value


def identifier_key(text: str, key_field: str) -> str:
    """The child's identifier as stored: it is the key that finds the child again on re-upload,
    so it is cut to the column's length here, once, rather than by the database."""
    value = normalise_nhs_number(text) if key_field == "nhs_number" else text
    return value[:IDENTIFIER_MAX_LENGTH]


def check_nhs_number(normalised: str) -> None:
    if not is_valid_nhs_number(normalised):
        raise CellError("E08")


def normalise_postcode(text: str) -> str:
    return "".join(text.split()).upper()


def check_postcode(normalised: str) -> None:
    """Format only: ONS pseudo-postcodes (ZZ99...) and Jersey (JE) match it too. Whether the
    postcode exists needs a postcode directory, which is looked up later when available."""
    if not _POSTCODE.match(normalised):
        raise CellError("E09")


def check_gp_practice_code(code: str) -> None:
    """ODS GP practice codes are a letter and five digits; existence is checked with the
    organisation directory when it is reachable."""
    if not _GP_PRACTICE.match(code.upper()):
        raise CellError("E07")


def normalise_pdu_number(text: str) -> str | None:
    """ "PZ180", "180", "180.0", "pz 74" -> "PZ180"/"PZ074"; None when it is not a PZ code."""
    value = "".join(text.split()).upper()
    for suffix in (".00", ".0"):
        if value.endswith(suffix):
            value = value[: -len(suffix)]
            break
    match = _PDU.match(value)
    if not match or not 1 <= int(match[1]) <= 999:
        return None
    return f"PZ{int(match[1]):03d}"
