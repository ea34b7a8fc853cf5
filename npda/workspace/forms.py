"""The web forms of a child's record (issue 23): the child's details and a contact, in the
dataset of the period, with the words of the data dictionary (constants.form_fields).

Every answer is a text field (a coded one offered as a list), so that Django's own checks never
speak first: the answers are checked by the CSV's rule functions (npda.submissions.edits) and
each error is put beside its field, with the CSV's message and code.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from constants.csv_template import JERSEY_PZ_CODE, ColumnType, Template, template_for
from constants.form_fields import field_text
from constants.sections import (
    ANNUAL_REVIEW_SECTIONS,
    INPATIENT_SECTIONS,
    ROUTINE_SECTIONS,
    SECTION_LABELS,
    VISIT_SECTIONS,
)
from npda.data_model.models import AuditPeriod, PaediatricDiabetesUnit, Patient, Visit
from npda.submissions import edits
from npda.submissions.validation import DEPENDENT_QUESTIONS, SITE_VALUE_FIELDS, allowed_codes

TABS = (
    ("Routine measurements", ROUTINE_SECTIONS),
    ("Annual review", ANNUAL_REVIEW_SECTIONS),
    ("Admissions", INPATIENT_SECTIONS),
)
MAX_TEXT = 500  # the longest answer (an admission's other reason)


def as_text(value) -> str:
    """A stored value as it is typed: dates day first, codes and numbers as written."""
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _field(template: Template, name: str) -> forms.CharField:
    column = template.by_field.get(name)  # None for a web form's own field (GP postcode)
    words = field_text(name, template.dataset_year)
    attrs = {"autocomplete": "off"}
    if column is None:
        widget = forms.TextInput(attrs={**attrs, "spellcheck": "false", "maxlength": 8})
    elif column.type in (ColumnType.CODE, ColumnType.SEX, ColumnType.ETHNICITY):
        choices = [
            ("", "Not recorded"),
            *((str(code), f"{label} ({code})") for code, label in allowed_codes(column).items()),
        ]
        widget = forms.Select(choices=choices, attrs=attrs)
    elif column.type == ColumnType.TEXT and name == "hospital_admission_other":
        widget = forms.Textarea(attrs={**attrs, "rows": 3, "maxlength": MAX_TEXT})
    else:
        kind = "decimal" if column.type != ColumnType.DATE else "text"
        widget = forms.TextInput(
            attrs={**attrs, "inputmode": kind, "spellcheck": "false", "maxlength": MAX_TEXT}
        )
    hint = " ".join(filter(None, (words.shown_when, words.hint)))
    return forms.CharField(
        label=words.label,
        help_text=hint,
        required=False,
        widget=widget,
        max_length=MAX_TEXT,
        strip=False,
    )


@dataclass
class Section:
    legend: str
    fields: list  # bound fields


class RecordForm(forms.Form):
    """A form checked by the CSV's rules: `check` gives the values, errors and warnings."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, template: Template, names: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.template = template
        self.names = names
        self.checked: edits.Checked | None = None
        for name in names:
            self.fields[name] = _field(template, name)
        dependent = DEPENDENT_QUESTIONS.get(template.dataset_year, {})
        for name, (parent, answers) in dependent.items():
            if name in self.fields:
                shown = "*" if answers is None else ",".join(str(a) for a in sorted(answers))
                self.fields[name].widget.attrs.update(
                    {"data-parent": parent, "data-answers": shown}
                )

    def check(self, answers: dict) -> edits.Checked:
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if self.errors:  # a hidden field tampered with, or an answer too long
            return cleaned
        self.checked = self.check({name: cleaned.get(name) for name in self.names})
        for name, problems in self.checked.errors.items():
            for problem in problems:
                target = name if name in self.fields else None
                self.add_error(
                    target, ValidationError(problem["message"], code=problem["code"] or "invalid")
                )
        return cleaned

    def full_clean(self):
        super().full_clean()
        for name in self.errors:  # each message read with its field (and its hint)
            if name in self.fields:
                field = self.fields[name]
                described = [f"id_{name}_error"] + ([f"id_{name}_helptext"] if field.help_text
                                                    else [])  # fmt: skip
                field.widget.attrs.update({"aria-describedby": " ".join(described),
                                           "aria-invalid": "true"})  # fmt: skip

    def summary(self) -> list[tuple[str, str]]:
        """The error summary: (field id, message), in the order of the form."""
        items = [
            (f"id_{name}", message)
            for name in self.fields
            if name in self.errors
            for message in self.errors[name]
        ]
        return [("", message) for message in self.non_field_errors()] + items


class ContactForm(RecordForm):
    """One clinic contact: its date, then the audit's sections, any of them left blank."""

    def __init__(
        self,
        *args,
        period: AuditPeriod,
        patient: Patient,
        today: date,
        contact: Visit | None = None,
        **kwargs,
    ):
        template = template_for(period.dataset_year)
        self.period, self.patient, self.today = period, patient, today
        if contact is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                name: as_text(getattr(contact, name)) for name in edits.visit_fields(template)
            }
        super().__init__(*args, template=template, names=edits.visit_fields(template), **kwargs)

    def check(self, answers: dict) -> edits.Checked:
        return edits.check_contact(
            answers, patient=self.patient, period=self.period, today=self.today
        )

    def tabs(self) -> list[tuple[str, list[Section]]]:
        """The audit's tabs and their sections, each with the template's fields in it."""
        found = []
        for title, sections in TABS:
            parts = [
                Section(SECTION_LABELS[s], [self[n] for n in VISIT_SECTIONS[s] if n in self.fields])
                for s in sections
            ]
            found.append((title, [p for p in parts if p.fields]))
        return found


class ChildForm(RecordForm):
    """A child's details: identifier, dates, codes, and the leaving date and reason."""

    def __init__(
        self,
        *args,
        unit: PaediatricDiabetesUnit,
        period: AuditPeriod,
        today: date,
        patient: Patient | None = None,
        **kwargs,
    ):
        template = template_for(period.dataset_year)
        self.unit, self.period, self.today, self.patient = unit, period, today, patient
        names = edits.child_fields(template, unit.pz_code == JERSEY_PZ_CODE)
        if patient is not None and "initial" not in kwargs:
            site = patient.sites.filter(paediatric_diabetes_unit=unit, is_active=True).first()
            stored = {n: getattr(site, n) for n in SITE_VALUE_FIELDS} if site else {}
            stored |= {n: getattr(patient, n) for n in names if hasattr(patient, n)}
            kwargs["initial"] = {name: as_text(stored.get(name)) for name in names}
        super().__init__(*args, template=template, names=names, **kwargs)

    def check(self, answers: dict) -> edits.Checked:
        return edits.check_child(
            answers, unit=self.unit, period=self.period, today=self.today, patient=self.patient
        )
