"""Typed, validated records: what the parser produces and what the store writes.

The synthetic cohort generator produces the same records, so both routes store data the same way.
"""

import gzip
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
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


# Packed records: a version's children and visits as gzip JSON (SubmissionRecords). Dates and
# decimals are tagged so that they come back as what they were.


def pack(patients: Sequence[PatientRecord], visits: Sequence[VisitRecord]) -> bytes:
    visits_json = json.dumps(
        [[v.patient_key, v.source_row, v.fields, v.errors] for v in visits], default=_tagged
    )
    return pack_json(patients, visits_json)


def pack_json(patients: Sequence[PatientRecord], visits_json: str) -> bytes:
    """`pack` with the visits already as JSON text in its format: a version's rows as
    PostgreSQL writes them (`store.keep_form_changes`), not read into Python one by one."""
    patients_json = json.dumps(
        [[p.key, p.fields, p.site_fields, p.errors] for p in patients], default=_tagged
    )
    document = f'{{"patients": {patients_json}, "visits": {visits_json}}}'
    return gzip.compress(document.encode(), compresslevel=5)


def unpack(packed: bytes) -> tuple[list[PatientRecord], list[VisitRecord]]:
    document = json.loads(gzip.decompress(packed), object_hook=_untagged)
    patients = [PatientRecord(key, fields, site, errors)
                for key, fields, site, errors in document["patients"]]  # fmt: skip
    visits = [VisitRecord(key, row, fields, errors)
              for key, row, fields, errors in document["visits"]]  # fmt: skip
    return patients, visits


def _tagged(value):
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    raise TypeError(f"cannot pack {type(value).__name__}")


def _untagged(document: dict):
    if len(document) == 1:
        if "$date" in document:
            return date.fromisoformat(document["$date"])
        if "$decimal" in document:
            return Decimal(document["$decimal"])
    return document
