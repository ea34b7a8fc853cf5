"""A child's data entered and corrected in web forms (issue 23; ADR 0028), checked by the same
rule functions as a CSV row, so that a value refused in a form is refused in a file with the
same code and message.

A form's change is made to the version of the unit's data in use (the first one of a year with
no data starts a version), within the unit and year's lock, refused while the year is signed
off or closed to the user, and refused when the row was changed by someone else since the form
was opened (optimistic locking: each row's `revision`). The database records the row before and
after with who, which version and from where (pghistory, `pghistory.context`); the unit's KPI
recompute is queued with the change.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import pghistory
from django.db import transaction
from django.db.models import F, Max
from django.db.models.functions import Greatest
from django.utils import timezone

from aggregation.jobs import request_unit_recompute
from constants.csv_template import JERSEY_PZ_CODE, Target, Template, template_for
from npda.data_model.models import (
    AuditPeriod,
    NPDAUser,
    PaediatricDiabetesUnit,
    Patient,
    Site,
    Submission,
    SubmissionEvent,
    SubmissionRecords,
    Visit,
)
from npda.submissions import cells
from npda.submissions.growth import growth_values
from npda.submissions.locks import lock_unit_period
from npda.submissions.records import Errors, pack
from npda.submissions.selectors import active_version
from npda.submissions.services import can_upload_to_closed_period
from npda.submissions.sign_off import frozen_message, refuse_if_signed_off, standing_sign_off
from npda.submissions.store import PATIENT_FIELDS, derived_bmi
from npda.submissions.validation import (
    WEB_FORM_PATIENT_FIELDS,
    child_dates_of,
    out_of_period,
    validate_patient,
    validate_visit,
)

DERIVED = (
    "bmi",
    "bmi_sds",
    "bmi_centile",
    "height_sds",
    "height_centile",
    "weight_sds",
    "weight_centile",
)


class EditRefused(Exception):
    """A change that may not be made, with the reason in words."""


@dataclass
class Checked:
    """A form's values checked: typed fields, errors by field, warnings that do not block."""

    fields: dict
    errors: Errors
    warnings: list[str] = field(default_factory=list)
    site: dict = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors


# Checking -------------------------------------------------------------------------------------


def visit_fields(template: Template) -> tuple[str, ...]:
    return tuple(c.field for c in template.columns if c.target == Target.VISIT)


def child_fields(template: Template, jersey: bool) -> tuple[str, ...]:
    """The child's own fields in the template, its identifier first, and the GP practice's
    postcode after its code (the web form's alternative, §6.1)."""
    identifier = "unique_reference_number" if jersey else "nhs_number"
    names = [identifier]
    for column in template.columns:
        if column.target in (Target.PATIENT, Target.SITE) and column.field not in (
            "nhs_number",
            "unique_reference_number",
        ):
            names.append(column.field)
            if column.field == "gp_practice_ods_code":
                names.extend(WEB_FORM_PATIENT_FIELDS)
    return tuple(names)


def _cells(data: Mapping[str, object], names: tuple[str, ...]) -> dict[str, str]:
    """The non-blank answers, cleaned as a CSV cell is."""
    found = {}
    for name in names:
        text = cells.clean(str(data.get(name) or ""))
        if text:
            found[name] = text
    return found


def check_contact(
    data: Mapping[str, object], *, patient: Patient, period: AuditPeriod, today: date
) -> Checked:
    """One contact as the CSV checks a row: its values, its errors, and W01 if it is dated
    outside the year."""
    template = template_for(period.dataset_year)
    raw = _cells(data, visit_fields(template))
    fields, errors = validate_visit(raw, child_dates_of(patient), today, template)
    outside = out_of_period(fields.get("visit_date"), period)
    return Checked(fields, errors, [outside] if outside else [])


def check_child(
    data: Mapping[str, object],
    *,
    unit: PaediatricDiabetesUnit,
    period: AuditPeriod,
    today: date,
    patient: Patient | None = None,
) -> Checked:
    """A child's details as the CSV checks them, and an identifier that is not another child's
    of the unit (a file would join them into one child; a form names the clash)."""
    template = template_for(period.dataset_year)
    jersey = unit.pz_code == JERSEY_PZ_CODE
    raw = _cells(data, child_fields(template, jersey))
    fields, site, errors = validate_patient(
        raw, template=template, jersey=jersey, period_start=period.start_date, today=today
    )
    key_field = "unique_reference_number" if jersey else "nhs_number"
    key = fields.get(key_field)
    patient_id = patient.pk if patient else None
    if key and key_field not in errors and _another_child_has(unit.pk, key_field, key, patient_id):
        label = template.label(key_field)
        errors.setdefault(key_field, []).append(
            {
                "code": "",
                "message": (
                    f"{unit.pz_code} already has a child with this {label}: open their record "
                    "instead."
                ),
            }
        )
    return Checked(fields, errors, site=site)


# Saving ---------------------------------------------------------------------------------------


def read_only_reason(unit: PaediatricDiabetesUnit, period: AuditPeriod, user: NPDAUser) -> str:
    """Why the year's data cannot be changed by this person now ("" when they can)."""
    sign_off = standing_sign_off(unit, period)
    if sign_off is not None:
        return frozen_message(sign_off)
    if not period.is_open and not can_upload_to_closed_period(user):
        return f"The {period} audit year is closed: only the RCPCH audit team can change its data."
    return ""


def _writable(
    unit: PaediatricDiabetesUnit, period: AuditPeriod, user: NPDAUser, version: int | None
) -> Submission:
    """Inside the transaction: the unit's version in use, locked for this change; refused if
    the year is signed off or closed to the user, or the data were replaced since the form was
    opened (`version`: the version it was opened on; None for a year without data)."""
    lock_unit_period(unit, period)
    refuse_if_signed_off(unit, period)
    if not period.is_open and not can_upload_to_closed_period(user):
        raise EditRefused(read_only_reason(unit, period, user))
    active = Submission.objects.filter(
        paediatric_diabetes_unit=unit, audit_period=period, is_active=True
    ).first()
    if active is not None and active.pk != version:
        when = timezone.localtime(active.submitted_at)
        who = active.submitted_by.get_full_name() if active.submitted_by else "the audit team"
        raise EditRefused(
            f"{unit.pz_code}'s {period} data were replaced by {who}'s upload at "
            f"{when:%-d %B %Y %H:%M}; reload to see them."
        )
    return active or _start_version(unit, period, user)


def _start_version(unit, period, user) -> Submission:
    """A year's first data entered in a form: an empty version in use, then added to."""
    version = Submission.objects.create(
        paediatric_diabetes_unit=unit,
        audit_period=period,
        submitted_by=user,
        status=Submission.Status.ACTIVE,
        is_active=True,
        file_name="",
    )
    SubmissionRecords.objects.create(submission=version, packed=pack([], []))
    SubmissionEvent.objects.create(
        submission=version, by=user, action=SubmissionEvent.Action.STARTED
    )
    return version


def _changed(version: Submission, user: NPDAUser, *, visits: int = 0, children: int = 0) -> None:
    """The version's counts and time of its last form change; the unit's recompute queued."""
    Submission.objects.filter(pk=version.pk).update(
        last_edited_at=timezone.now(),
        visit_count=Greatest(F("visit_count") + visits, 0),
        patient_count=Greatest(F("patient_count") + children, 0),
    )
    request_unit_recompute(
        version.paediatric_diabetes_unit_id, version.audit_period_id, reason="form"
    )


def stale_message(record: Patient | Visit, what: str) -> str:
    record.refresh_from_db()
    who = record.changed_by.get_full_name() if record.changed_by else "someone"
    when = timezone.localtime(record.changed_at) if record.changed_at else None
    at = f" at {when:%-d %B %Y %H:%M}" if when else ""
    return f"This {what} was changed by {who}{at}; reload to see it."


def _visit_values(checked: Checked, patient: Patient, template: Template) -> dict:
    """Every field of the template's contact (blank ones cleared), with the derived values."""
    values = {name: checked.fields.get(name) for name in visit_fields(template)}
    values["hospital_admission_other"] = values.get("hospital_admission_other") or ""
    values["bmi"] = derived_bmi(checked.fields)
    growth = growth_values(
        patient.sex,
        patient.date_of_birth,
        checked.fields.get("height_weight_observation_date"),
        checked.fields.get("height"),
        checked.fields.get("weight"),
    )
    values.update({name: getattr(growth, name) for name in DERIVED if name != "bmi"})
    return values


def save_contact(
    unit: PaediatricDiabetesUnit,
    period: AuditPeriod,
    patient: Patient,
    checked: Checked,
    *,
    user: NPDAUser,
    version: int | None,
    contact: Visit | None = None,
    revision: int | None = None,
) -> Visit:
    """Add a contact (`contact` None) or change one, from a checked form without errors."""
    if not checked.valid:
        raise EditRefused("The form has errors: nothing was saved.")
    template = template_for(period.dataset_year)
    with transaction.atomic():
        active = _writable(unit, period, user, version)
        values = _visit_values(checked, patient, template)
        stamp = {"changed_by": user, "changed_at": timezone.now(), "errors": {}, "is_valid": True}
        with pghistory.context(user=user.pk, submission=active.pk, source="form"):
            if contact is None:
                contact = _add_contact(active, patient, period, values | stamp)
                _changed(active, user, visits=1)
                return contact
            updated = Visit.objects.filter(
                pk=contact.pk, submission=active, revision=revision
            ).update(**values, **stamp, revision=F("revision") + 1)
            if not updated:
                raise EditRefused(stale_message(contact, "contact"))
            _changed(active, user)
    contact.refresh_from_db()
    return contact


def _add_contact(active: Submission, patient: Patient, period: AuditPeriod, values: dict):
    last = Visit.objects.filter(submission=active).aggregate(last=Max("source_row"))["last"]
    if not active.patients.filter(pk=patient.pk).exists():  # in the unit, not yet this year
        active.patients.add(patient)
        Submission.objects.filter(pk=active.pk).update(patient_count=F("patient_count") + 1)
    return Visit.objects.create(
        patient=patient,
        submission=active,
        source_row=(last or 1) + 1,
        dataset_year=period.dataset_year,
        **values,
    )


def remove_contact(
    unit: PaediatricDiabetesUnit,
    period: AuditPeriod,
    contact: Visit,
    *,
    user: NPDAUser,
    version: int | None,
    revision: int,
) -> None:
    with transaction.atomic():
        active = _writable(unit, period, user, version)
        with pghistory.context(user=user.pk, submission=active.pk, source="form"):
            removed, _ = Visit.objects.filter(
                pk=contact.pk, submission=active, revision=revision
            ).delete()
            if not removed:
                raise EditRefused(stale_message(contact, "contact"))
            _changed(active, user, visits=-1)


def save_child(
    unit: PaediatricDiabetesUnit,
    period: AuditPeriod,
    checked: Checked,
    *,
    user: NPDAUser,
    version: int | None,
    patient: Patient | None = None,
    revision: int | None = None,
) -> Patient:
    """Add a child to the unit's year (`patient` None) or change a child's details."""
    if not checked.valid:
        raise EditRefused("The form has errors: nothing was saved.")
    values = {
        name: checked.fields.get(name) for name in PATIENT_VALUE_NAMES if name in checked.fields
    }
    values["postcode"] = values.get("postcode") or ""
    values["gp_practice_ods_code"] = values.get("gp_practice_ods_code") or ""
    values["gp_practice_postcode"] = values.get("gp_practice_postcode") or ""
    stamp = {"changed_by": user, "changed_at": timezone.now(), "errors": {}, "is_valid": True}
    with transaction.atomic():
        active = _writable(unit, period, user, version)
        with pghistory.context(user=user.pk, submission=active.pk, source="form"):
            if patient is None:
                patient = _add_child(active, unit, period, values | stamp, checked.site)
                _changed(active, user, children=1)
                return patient
            updated = Patient.objects.filter(pk=patient.pk, revision=revision).update(
                **values, **stamp, revision=F("revision") + 1
            )
            if not updated:
                raise EditRefused(stale_message(patient, "child's record"))
            Site.objects.filter(
                patient=patient, paediatric_diabetes_unit=unit, is_active=True
            ).update(**checked.site)
            _changed(active, user)
    patient.refresh_from_db()
    return patient


# The child's own stored values: an upload's, and the web form's GP practice postcode (§6.1).
PATIENT_VALUE_NAMES = (*PATIENT_FIELDS, *WEB_FORM_PATIENT_FIELDS)


def _add_child(active, unit, period, values: dict, site: dict) -> Patient:
    patient = Patient.objects.create(dataset_year=period.dataset_year, **values)
    Site.objects.create(
        patient=patient,
        paediatric_diabetes_unit=unit,
        is_active=True,
        organisation_id=unit.lead_organisation_id,
        **site,
    )
    active.patients.add(patient)
    return patient


# Undoing a change -----------------------------------------------------------------------------

# What an undo puts back: a row's values, not its bookkeeping (its history keeps those).
NOT_PUT_BACK = frozenset({"pgh_id", "pgh_created_at", "pgh_label", "pgh_obj", "pgh_context",
                          "id", "revision", "changed_at", "changed_by"})  # fmt: skip
MODELS = {"patient": Patient, "site": Site, "visit": Visit}


def undo_change(
    unit: PaediatricDiabetesUnit, period: AuditPeriod, change, *, user: NPDAUser
) -> None:
    """Put back every row of one recorded change (a `history.Change`) as it was before it, if
    nothing has changed those rows since; itself recorded (source "undo")."""
    with transaction.atomic():
        active = _writable(unit, period, user, _version_of(unit, period))
        with pghistory.context(user=user.pk, submission=active.pk, source="undo",
                               undoes=change.context):  # fmt: skip
            for kind, before, after in change.events:
                _undo_row(kind, before, after, active, user)
            _changed(active, user)


def _version_of(unit, period) -> int | None:
    active = active_version(unit, period)
    return active.pk if active else None


def _undo_row(kind: str, before, after, active: Submission, user: NPDAUser) -> None:
    model = MODELS[kind]
    if kind == "visit" and (after or before).submission_id != active.pk:
        raise EditRefused("This change was made to an earlier version of the unit's data: "
                          "restore that version from the upload history instead.")  # fmt: skip
    if after is not None and not _unchanged_since(model, after):
        raise EditRefused("Someone has changed this record since: undo their change first, or "
                          "make the correction in the form.")  # fmt: skip
    if before is None:  # added: take it away again
        if kind == "patient":
            raise EditRefused("A child added in a form is removed by the audit team: ask them.")
        if kind == "visit":
            _changed(active, user, visits=-1)
        model.objects.filter(pk=after.pgh_obj_id).delete()
        return
    values = {f.attname: getattr(before, f.attname) for f in type(before)._meta.concrete_fields
              if f.name not in NOT_PUT_BACK and hasattr(model, f.attname)}  # fmt: skip
    if kind == "patient":
        _refuse_a_shared_identifier(active, before.pgh_obj_id, values)
    if after is None:  # removed: put it back as it was
        if model.objects.filter(pk=before.pgh_obj_id).exists():
            raise EditRefused("This removal has already been undone.")
        model.objects.create(pk=before.pgh_obj_id, revision=before.revision,
                             changed_by=user, changed_at=timezone.now(), **values)  # fmt: skip
        if kind == "visit":
            _changed(active, user, visits=1)
        return
    stamp = {"changed_by": user, "changed_at": timezone.now(), "revision": F("revision") + 1}
    model.objects.filter(pk=after.pgh_obj_id).update(**values, **(stamp if kind != "site" else {}))


def _refuse_a_shared_identifier(active: Submission, patient_id: int, values: dict) -> None:
    """An undo may not give a child the identifier another of the unit's children now has
    (the form refuses the same: a file would join them into one child)."""
    for key_field, label in (("nhs_number", "NHS number"),
                             ("unique_reference_number", "Unique Reference Number")):  # fmt: skip
        key = values.get(key_field)
        if key and _another_child_has(active.paediatric_diabetes_unit_id, key_field, key,
                                      patient_id):  # fmt: skip
            raise EditRefused(f"Another child of the unit now has this child's earlier {label}: "
                              "undoing the change would give two children one number.")  # fmt: skip


def _another_child_has(unit_id: str, key_field: str, key: str, patient_id: int | None) -> bool:
    """Whether a child of the unit other than `patient_id` has this identifier."""
    others = Site.objects.filter(paediatric_diabetes_unit_id=unit_id, is_active=True,
                                 **{f"patient__{key_field}": key})  # fmt: skip
    return others.exclude(patient_id=patient_id).exists() if patient_id else others.exists()


def _unchanged_since(model, after) -> bool:
    """The row is as the change left it (Patient and Visit: by revision; Site: by its values)."""
    current = model.objects.filter(pk=after.pgh_obj_id).first()
    if current is None:
        return False
    if hasattr(current, "revision"):
        return current.revision == after.revision
    return True
