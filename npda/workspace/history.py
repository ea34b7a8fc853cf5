"""The history of a child's record (issue 23; ADR 0028): every change made one row at a time (a
web form, an undo, the admin), read from the rows the database recorded (pghistory's
PatientEvent, SiteEvent, VisitEvent), grouped by the change that made them: who, when, from
where, and each value before and after. Uploads and restores are versions of the whole year
(the upload history), not changes here."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.http import Http404

from constants.form_fields import field_text
from npda.data_model.models import NPDAUser, Patient, PatientEvent, SiteEvent, VisitEvent

BOOKKEEPING = frozenset({"pgh_id", "pgh_created_at", "pgh_label", "pgh_obj", "pgh_context",
                         "id", "revision", "changed_at", "changed_by", "errors", "is_valid",
                         "dataset_year", "patient", "submission", "source_row",
                         "paediatric_diabetes_unit", "organisation"})  # fmt: skip
SOURCES = {"form": "web form", "undo": "undo", "admin": "admin"}
KINDS = {"patient": PatientEvent, "site": SiteEvent, "visit": VisitEvent}


@dataclass
class Item:
    """One row's change: what it is, and each value that changed (label, before, after)."""

    what: str
    action: str  # added, changed, removed
    values: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class Change:
    context: str  # the change's id (pghistory context), the token of its undo
    at: datetime
    by: str
    source: str
    items: list[Item]
    events: list = field(default_factory=list)  # (kind, before event | None, after event | None)
    order: int = 0  # the last event's id


def child_changes(patient: Patient, dataset_year: int) -> list[Change]:
    """Every recorded change to the child, newest first."""
    events = _events(patient)
    users = _user_names(events)
    grouped: dict[str, list] = defaultdict(list)
    for kind, event in events:
        grouped[str(event.pgh_context_id)].append((kind, event))
    changes = [_change(context, rows, users, dataset_year) for context, rows in grouped.items()]
    # Newest first: by time, then by the order the rows were recorded (one transaction has one
    # time).
    return sorted(changes, key=lambda change: (change.at, change.order), reverse=True)


def change_of(patient: Patient, context: str) -> Change:
    """The child's change with this id; a 404 for any other (or a made-up one)."""
    found = next((c for c in child_changes(patient, patient.dataset_year) if c.context == context),
                 None)  # fmt: skip
    if found is None:
        raise Http404("There is no such change to this child's record.")
    return found


def _events(patient: Patient) -> list[tuple[str, object]]:
    related = "pgh_context"
    found = [("patient", e) for e in PatientEvent.objects.filter(pgh_obj_id=patient.pk)
             .select_related(related)]  # fmt: skip
    found += [("site", e) for e in SiteEvent.objects.filter(patient_id=patient.pk)
              .select_related(related)]  # fmt: skip
    found += [("visit", e) for e in VisitEvent.objects.filter(patient_id=patient.pk)
              .select_related(related)]  # fmt: skip
    return [(kind, e) for kind, e in found if e.pgh_context_id is not None]


def _user_names(events) -> dict[int, str]:
    ids = {e.pgh_context.metadata.get("user") for _, e in events}
    return {u.pk: u.get_full_name() or u.email for u in NPDAUser.objects.filter(pk__in=ids)}


def _change(context: str, rows, users: dict[int, str], dataset_year: int) -> Change:
    metadata = rows[0][1].pgh_context.metadata
    pairs: dict[tuple[str, int], dict[str, object]] = defaultdict(dict)
    for kind, event in sorted(rows, key=lambda row: row[1].pgh_id):
        pairs[(kind, event.pgh_obj_id)][event.pgh_label] = event
    change = Change(context, min(e.pgh_created_at for _, e in rows),
                    users.get(metadata.get("user"), "someone"),
                    SOURCES.get(metadata.get("source"), "the database"), [],
                    order=max(e.pgh_id for _, e in rows))  # fmt: skip
    for (kind, _), labels in sorted(pairs.items()):
        before = labels.get("before") or labels.get("removed")
        after = labels.get("after") or labels.get("added")
        change.events.append((kind, before, after))
        item = _item(kind, before, after, dataset_year)
        if item.values or item.action != "changed":
            change.items.append(item)
    return change


def _item(kind: str, before, after, dataset_year: int) -> Item:
    action = "added" if before is None else "removed" if after is None else "changed"
    row = after or before
    what = {"patient": "The child's details", "site": "Care at the unit"}.get(kind) or (
        f"Contact of {_text(row.visit_date) or 'an unknown date'}")  # fmt: skip
    names = [f.name for f in type(row)._meta.fields if f.name not in BOOKKEEPING]
    values = []
    for name in names:
        old = _text(getattr(before, name)) if before else ""
        new = _text(getattr(after, name)) if after else ""
        if old != new:
            values.append((_label(name, dataset_year), old, new))
    return Item(what, action, values)


def _label(name: str, dataset_year: int) -> str:
    try:
        return field_text(name, dataset_year).label
    except KeyError:
        return name.replace("_", " ").capitalize()


def _text(value) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, date):
        return f"{value:%-d %b %Y}"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)
