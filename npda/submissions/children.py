"""Rows grouped into children (csv-submission.md §5.6): each patient-level column from the
child's first row that holds a valid value in it, every row a visit.

Two passes over the rows. The first keeps, per child and column, the first valid value (a blank
or invalid value never hides a valid one in a later row; an invalid value's error stays on its
own row); the second validates each row's visit cells against the child's dates kept, and adds
the row's own patient-level errors to it. A later row with a different valid value keeps the
first and raises W02.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from constants.csv_template import JERSEY_PZ_CODE, template_for
from npda.data_model.models import AuditPeriod, PaediatricDiabetesUnit
from npda.submissions import messages
from npda.submissions.cells import identifier_key
from npda.submissions.reader import UploadFile, Warning_, patient_level_fields
from npda.submissions.records import Errors, PatientRecord, VisitRecord
from npda.submissions.validation import (
    PATIENT_VALUE_FIELDS,
    PatientContext,
    check_child,
    check_patient_value,
    child_dates,
    merge_errors,
    out_of_period,
    validate_visit,
)


@dataclass(slots=True)
class KeptValue:
    value: object
    raw: str
    row: int


@dataclass
class ChildValues:
    """What the rows of one child have given so far."""

    raw: dict[str, str | None]  # the first row's cells (its identifier, for the child's checks)
    kept: dict[str, KeptValue] = field(default_factory=dict)  # first valid value, by field
    given: set[str] = field(default_factory=set)  # fields some row gave a value for


class RecordBuilder:
    """The children and visits of an upload, and its warnings."""

    PROGRESS_EVERY = 2000

    def __init__(
        self, upload: UploadFile, unit: PaediatricDiabetesUnit, period: AuditPeriod, today: date
    ):
        self.upload, self.unit, self.period, self.today = upload, unit, period, today
        self.template = template_for(period.dataset_year)
        self.context = PatientContext(
            self.template, unit.pz_code == JERSEY_PZ_CODE, period.start_date, today
        )
        self.patients: list[PatientRecord] = []
        self.visits: list[VisitRecord] = []
        self.warnings: list[Warning_] = list(upload.warnings)
        self._checked: dict[tuple[str, str], tuple[object, Errors]] = {}

    def build(self) -> Iterator[dict]:
        """Progress events while the rows are read: {stage, done, total}."""
        children, row_errors, skipped = self._patient_values()
        self.patients = [self._patient(key, child) for key, child in children.items()]
        dates = {p.key: child_dates(p.fields, p.errors) for p in self.patients}
        total = self.upload.row_count
        patient_fields = set(patient_level_fields(self.upload.identifier, self.template))
        key_field = self.upload.identifier.field
        for done, (number, cells_) in enumerate(self.upload.rows(), start=1):
            if number not in skipped:
                key = identifier_key(cells_[key_field], key_field)
                visit_cells = {k: v for k, v in cells_.items() if k not in patient_fields}
                self._add_visit(key, number, visit_cells, dates[key], row_errors.get(number))
            if done % self.PROGRESS_EVERY == 0:
                yield {"stage": "rows", "done": done, "total": total}
        yield {"stage": "rows", "done": total, "total": total}

    # --- first pass: the patient-level values --------------------------------------------------

    def _patient_values(self) -> tuple[dict[str, ChildValues], dict[int, Errors], set[int]]:
        """Per child its values kept; per row the errors of its own patient-level cells; and
        the rows skipped as exact copies of an earlier row (W04)."""
        key_field = self.upload.identifier.field
        fields = [f for f in PATIENT_VALUE_FIELDS if f in self.template.fields]
        children: dict[str, ChildValues] = {}
        row_errors: dict[int, Errors] = {}
        seen_rows: dict[int, int] = {}  # hash of a row's content -> its first row number
        skipped: set[int] = set()
        for number, cells_ in self.upload.rows():
            key = identifier_key(cells_[key_field], key_field)
            signature = hash((key, *sorted(cells_.items())))
            if signature in seen_rows:
                self.warnings.append(_warning("W04", number, row=number,
                                              earlier_row=seen_rows[signature]))  # fmt: skip
                skipped.add(number)
                continue
            seen_rows[signature] = number
            child = children.setdefault(key, ChildValues({key_field: cells_[key_field]}))
            for name in fields:
                if (raw := cells_.get(name)) is not None:
                    self._take(child, name, raw, number, row_errors)
        return children, row_errors, skipped

    def _take(self, child: ChildValues, name: str, raw: str, row: int, row_errors) -> None:
        child.given.add(name)
        value, errors = self._check(name, raw)
        if errors:
            merge_errors(row_errors.setdefault(row, {}), errors)
            return
        kept = child.kept.get(name)
        if kept is None:
            child.kept[name] = KeptValue(value, raw, row)
        elif value != kept.value:
            label = self.template.label(name)
            self.warnings.append(
                _warning("W02", row, name, column=label, kept_row=kept.row, value=kept.raw)
            )

    def _check(self, name: str, raw: str) -> tuple[object, Errors]:
        """A value's own check, once per distinct value (a child repeats its values on every
        row)."""
        found = self._checked.get((name, raw))
        if found is None:
            found = self._checked[(name, raw)] = check_patient_value(name, raw, self.context)
        value, errors = found
        return value, {name: [dict(p) for p in problems] for name, problems in errors.items()}

    def _patient(self, key: str, child: ChildValues) -> PatientRecord:
        errors: Errors = {}
        values = {name: kept.value for name, kept in child.kept.items()}
        fields, site = check_child(child.raw, values, child.given, errors, self.context)
        return PatientRecord(key, fields, site, errors)

    # --- second pass: the visits -----------------------------------------------------------------

    def _add_visit(self, key: str, number: int, cells_: dict, dates, own_errors) -> None:
        fields, errors = validate_visit(cells_, dates, self.today, self.template)
        if own_errors:
            merge_errors(errors, own_errors)
        self.visits.append(VisitRecord(key, number, fields, errors))
        if outside := out_of_period(fields.get("visit_date"), self.period):
            self.warnings.append(Warning_("W01", outside, number, "visit_date"))


def _warning(code: str, at_row: int, field: str = "", **values) -> Warning_:
    return Warning_(code, messages.WARNING[code].format(**values), at_row, field)
