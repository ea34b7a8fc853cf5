"""A checked upload against the unit's data for the year (issue 21): which children it adds,
removes and changes, how many rows, and, in plain words, every child who would stop counting
(no usable date of birth, diagnosis date or diabetes type any more, or not in the file at all).

Identifiers are listed: this is the unit's private view (disclosure-control.md §1); they are
kept in the database with the draft and shown in a page's body, never in a URL.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from constants.csv_template import Target, template_for
from npda.data_model.models import (
    AuditPeriod,
    PaediatricDiabetesUnit,
    PatientEvent,
    Site,
    Submission,
    Visit,
    VisitEvent,
)
from npda.submissions.records import PatientRecord, VisitRecord
from npda.submissions.selectors import active_version

PATIENT_COMPARED = (
    "date_of_birth", "postcode", "sex", "ethnicity", "diabetes_type", "diagnosis_date",
    "death_date", "gp_practice_ods_code", "adhd_asd_status", "learning_disability_status",
)  # fmt: skip
SITE_COMPARED = ("date_leaving_service", "reason_leaving_service")
ELIGIBILITY = {"date_of_birth": "date of birth", "diagnosis_date": "date of diagnosis",
               "diabetes_type": "diabetes type"}  # fmt: skip


@dataclass
class Loss:
    identifier: str
    reason: str


@dataclass
class Comparison:
    against: int | None  # the version in use it was compared with (None: the unit had no data)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    rows_before: int = 0
    rows_after: int = 0
    losing: list[Loss] = field(default_factory=list)
    # Changes made in web forms to the version in use (issue 23): an upload replaces them.
    edited_at: str | None = None  # the version's last form change when compared
    form_contacts: int = 0  # contacts entered, changed or removed in a form
    form_children: int = 0  # children added or changed in a form

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Comparison":
        losing = [Loss(**loss) for loss in data.get("losing", [])]
        return cls(**{**data, "losing": losing})


def summary_lines(comparison: Comparison) -> list[str]:
    """The comparison in words, for the command line."""
    if comparison.against is None:
        return [f"The unit has no data for this year yet: {len(comparison.added):,} children "
                f"and {comparison.rows_after:,} rows would be added."]  # fmt: skip
    lines = [
        f"Against the data in use (version {comparison.against}): "
        f"{len(comparison.added):,} children added, {len(comparison.removed):,} removed, "
        f"{len(comparison.changed):,} changed, {comparison.unchanged:,} unchanged; "
        f"{comparison.rows_before:,} rows before, {comparison.rows_after:,} after.",
    ]
    lines += [f"  Warning: child {loss.identifier} {loss.reason}." for loss in comparison.losing]
    if words := form_changes_words(comparison):
        lines.append(f"  Warning: {words}")
    return lines


def form_changes_words(comparison: Comparison) -> str:
    """The warning that an upload replaces what was entered in forms ("" when nothing was)."""
    contacts, children = comparison.form_contacts, comparison.form_children
    if not contacts and not children:
        return ""
    parts = [
        f"{contacts:,} contact{'s' if contacts != 1 else ''}" if contacts else "",
        f"{children:,} child{'ren' if children != 1 else ''}'s details" if children else "",
    ]
    return (f"{' and '.join(p for p in parts if p)} entered or changed in web forms since the "
            "data in use were uploaded would be replaced by this file.")  # fmt: skip


def form_changes(version: Submission) -> tuple[int, int]:
    """(contacts, children) entered or changed in web forms in this version."""
    if version.last_edited_at is None:
        return 0, 0
    made_in = {"pgh_context__metadata__submission": version.pk}
    contacts = VisitEvent.objects.filter(**made_in).values("pgh_obj_id").distinct().count()
    children = PatientEvent.objects.filter(**made_in).values("pgh_obj_id").distinct().count()
    return contacts, children


def compare(
    unit: PaediatricDiabetesUnit,
    period: AuditPeriod,
    patients: Sequence[PatientRecord],
    visits: Sequence[VisitRecord],
) -> Comparison:
    """The records of a checked upload against the unit's data in use for the period."""
    active = active_version(unit, period)
    new_children = {p.key: _patient_values(p.fields, p.site_fields, p.errors) for p in patients}
    new_visits = _visit_sets(_visit_fields(period),
                             ((v.patient_key, v.fields.items()) for v in visits))  # fmt: skip
    if active is None:
        return Comparison(None, added=sorted(new_children), rows_after=len(visits))
    old_children, old_visits = _active_children(active, period)
    result = Comparison(active.pk, rows_before=active.visit_count, rows_after=len(visits))
    result.edited_at = active.last_edited_at.isoformat() if active.last_edited_at else None
    result.form_contacts, result.form_children = form_changes(active)
    result.added = sorted(new_children.keys() - old_children.keys())
    result.removed = sorted(old_children.keys() - new_children.keys())
    for key in sorted(old_children.keys() & new_children.keys()):
        same = (old_children[key] == new_children[key]
                and old_visits.get(key, Counter()) == new_visits.get(key, Counter()))  # fmt: skip
        if same:
            result.unchanged += 1
        else:
            result.changed.append(key)
    result.losing = _losses(old_children, new_children)
    return result


def _losses(old: dict[str, dict], new: dict[str, dict]) -> list[Loss]:
    """Every child who counts now and would not: gone from the file, or without a usable date
    of birth, diagnosis date or diabetes type."""
    losses = []
    for key, before in sorted(old.items()):
        if not _eligible(before):
            continue
        if key not in new:
            losses.append(Loss(key, "is not in the new file, so would no longer be in this "
                                    "year's results"))  # fmt: skip
            continue
        missing = [label for name, label in ELIGIBILITY.items() if new[key][name] is None]
        if missing:
            losses.append(Loss(key, f"would have no usable {_words(missing)} and so would no "
                                    "longer count in this year's results"))  # fmt: skip
    return losses


def _eligible(values: dict) -> bool:
    return all(values[name] is not None for name in ELIGIBILITY)


def _words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _patient_values(fields: dict, site: dict, errors: dict) -> dict:
    """A child's compared values, a value with an error counting as none (it is not used)."""
    values = {name: _plain(fields.get(name)) for name in PATIENT_COMPARED}
    values.update({name: _plain(site.get(name)) for name in SITE_COMPARED})
    for name in errors:
        if name in values:
            values[name] = None
    return values


def _plain(value):
    """One form per value: blank text is none, a decimal is compared by its amount."""
    if value == "":
        return None
    if isinstance(value, Decimal):
        return value.normalize()
    return value


def _visit_fields(period: AuditPeriod) -> tuple[str, ...]:
    template = template_for(period.dataset_year)
    return tuple(c.field for c in template.columns if c.target == Target.VISIT)


def _visit_sets(names: tuple[str, ...], visits) -> dict[str, Counter]:
    """Each child's visits, given as (key, its (field, value) pairs), as a multiset of their
    values (rows may come in any order); a row is the set of its compared values that are not
    blank (most of a row's fields are)."""
    compared = frozenset(names)
    sets: dict[str, Counter] = {}
    for key, values in visits:
        row = frozenset((name, _plain(value)) for name, value in values
                        if value is not None and value != "" and name in compared)  # fmt: skip
        sets.setdefault(key, Counter())[row] += 1
    return sets


def _active_children(active: Submission, period: AuditPeriod):
    """The version in use: each child's compared values and visits, by identifier."""
    unit_id = active.paediatric_diabetes_unit_id
    rows = active.patients.values("pk", "nhs_number", "unique_reference_number", "errors",
                                  *PATIENT_COMPARED)  # fmt: skip
    site_values = {
        patient_id: {"date_leaving_service": left, "reason_leaving_service": reason}
        for patient_id, left, reason in Site.objects.filter(
            paediatric_diabetes_unit_id=unit_id, is_active=True, patient__in=active.patients.all()
        ).values_list("patient_id", "date_leaving_service", "reason_leaving_service")
    }
    keys, children = {}, {}
    for row in rows:
        key = row["nhs_number"] or row["unique_reference_number"] or ""
        keys[row["pk"]] = key
        children[key] = _patient_values(row, site_values.get(row["pk"], {}), row["errors"])
    names = _visit_fields(period)
    visits = Visit.objects.filter(submission=active).values_list("patient_id", *names)
    return children, _visit_sets(names, ((keys.get(r[0], ""), zip(names, r[1:], strict=True))
                                         for r in visits.iterator(chunk_size=5000)))  # fmt: skip
