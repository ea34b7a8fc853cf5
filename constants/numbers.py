"""Whole numbers read from text that a URL, a query or a form gives: an audit year, an id.

Only ASCII digits count, and only within bounds. `str.isdigit()` also accepts "²" and other
Unicode digits, which `int()` then refuses (or reads as another script's digits); a year
outside 1-9999 breaks a date lookup; and `int()` refuses text of over 4,300 digits. Each of
those was a 500 where a 404 or a form error was due.
"""

import re

_DIGITS = re.compile(r"[0-9]{1,19}")  # 2**62 has 19
BIGGEST_ID = 2**62  # within PostgreSQL's bigint, with room to spare


def whole_number(text: object, *, minimum: int = 0, maximum: int = BIGGEST_ID) -> int | None:
    """The number `text` spells in ASCII digits, if it lies within bounds; else None."""
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str) or not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def year_number(text: object) -> int | None:
    """A calendar year a date can hold (1-9999), else None."""
    return whole_number(text, minimum=1, maximum=9999)
