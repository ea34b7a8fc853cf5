"""Typed, validated records: what the parser produces and what the store writes.

The synthetic cohort generator produces the same records, so both routes store data the same way.
"""

from dataclasses import dataclass, field
from typing import Any

Errors = dict[str, list[dict[str, str]]]  # field -> [{code, message}]


@dataclass(slots=True)
class PatientRecord:
    key: str  # the normalised identifier: NHS number, or Jersey's Unique Reference Number
    fields: dict[str, Any]  # Patient model fields
    site_fields: dict[str, Any] = field(default_factory=dict)  # leaving date and reason
    errors: Errors = field(default_factory=dict)  # also holds errors of the site fields


@dataclass(slots=True)
class VisitRecord:
    patient_key: str
    source_row: int  # row number in the file: the header is row 1
    fields: dict[str, Any]  # Visit model fields
    errors: Errors = field(default_factory=dict)


def add_error(errors: Errors, field_name: str, code: str, message: str) -> None:
    errors.setdefault(field_name, []).append({"code": code, "message": message})
