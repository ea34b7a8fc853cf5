"""The web forms of a child's record (issue 23): add or change a child, add, change or remove a
contact, and undo a change. Each form is checked by the CSV's rules (npda.submissions.edits);
an invalid one is shown again with an error summary and each message beside its field (400),
and a change that may not be made (the year signed off or closed, the data or the row changed
by someone else since the form was opened) is refused with the reason (409). Nothing is saved
until the whole form is valid. View-only roles see the record without the forms (403 here)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from constants.numbers import whole_number
from npda.data_model.models import AuditPeriod, PaediatricDiabetesUnit, Patient, Visit
from npda.submissions import edits
from npda.submissions.selectors import active_version
from npda.submissions.sign_off import SignOffRefused
from npda.workspace import common, history, selectors
from npda.workspace.common import period_for, unit_for
from npda.workspace.forms import ChildForm, ContactForm

REFUSED = (edits.EditRefused, SignOffRefused)


def _may(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(f"npda.{permission}"):
        raise PermissionDenied("Your role can see this record but not change it.")


def child_of(unit: PaediatricDiabetesUnit, period: AuditPeriod, pk: int) -> Patient:
    """A child in the unit's data in use for the year (by internal id); a 404 for any other.
    A child's rows are changed through a year it is in: through another, a change would start
    an empty version of that year and reach a year that may be signed off."""
    children = Patient.objects.filter(sites__paediatric_diabetes_unit=unit)
    in_year = children.filter(pk__in=selectors.in_year_data(unit, period))
    return get_object_or_404(in_year.distinct(), pk=pk)


def _contact_of(unit, period: AuditPeriod, patient: Patient, pk: int) -> Visit:
    """A contact of the child in the unit's data in use for the year; a 404 for any other."""
    return get_object_or_404(Visit, pk=pk, patient=patient, submission__is_active=True,
                             submission__paediatric_diabetes_unit=unit,
                             submission__audit_period=period)  # fmt: skip


def record_url(unit, period: AuditPeriod, patient: Patient, anchor: str = "") -> str:
    url = reverse("unit-child", args=[unit.pk, patient.pk]) + f"?year={period.start_date.year}"
    return url + (f"#{anchor}" if anchor else "")


def _version(unit, period) -> int | None:
    active = active_version(unit, period)
    return active.pk if active else None


def _render(request, template: str, context: dict, form) -> HttpResponse:
    context["read_only"] = edits.read_only_reason(context["unit"], context["period"],
                                                  request.user)  # fmt: skip
    status = 200
    if request.method == "POST" and form.errors:
        status = 409 if getattr(form, "refused", False) else 400
    return render(request, template, context, status=status)


def _refuse(form, refused: Exception) -> None:
    form.refused = True
    form.add_error(None, str(refused))


@login_required
def contact_form(request: HttpRequest, code: str, pk: int, contact_pk: int | None = None):
    """A new contact (`contact_pk` None) or a change to one."""
    unit, period = unit_for(request, code), period_for(request)
    patient = child_of(unit, period, pk)
    contact = _contact_of(unit, period, patient, contact_pk) if contact_pk else None
    _may(request, "change_visit" if contact else "add_visit")
    kwargs = {"period": period, "patient": patient, "today": common.today(), "contact": contact}
    if request.method == "POST":
        form = ContactForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                edits.save_contact(
                    unit, period, patient, form.checked, user=request.user,
                    version=form.cleaned_data["version"], contact=contact,
                    revision=form.cleaned_data["revision"],
                )  # fmt: skip
            except REFUSED as refused:
                _refuse(form, refused)
            else:
                messages.success(request, "The contact is saved. The child's results are being "
                                          "updated.")  # fmt: skip
                return redirect(record_url(unit, period, patient, "contacts"))
    else:
        initial = {"version": _version(unit, period),
                   "revision": contact.revision if contact else None}  # fmt: skip
        form = ContactForm(**kwargs)
        form.initial.update(initial)
    context = {"unit": unit, "period": period, "patient": patient, "contact": contact,
               "form": form, "back": record_url(unit, period, patient, "contacts")}  # fmt: skip
    return _render(request, "workspace/contact_form.html", context, form)


@login_required
def contact_remove(request: HttpRequest, code: str, pk: int, contact_pk: int):
    """GET: what would be removed; POST: remove it (recorded; it can be undone)."""
    unit, period = unit_for(request, code), period_for(request)
    patient = child_of(unit, period, pk)
    contact = _contact_of(unit, period, patient, contact_pk)
    _may(request, "delete_visit")
    problem = ""
    if request.method == "POST":
        try:
            edits.remove_contact(unit, period, contact, user=request.user,
                                 version=whole_number(request.POST.get("version")),
                                 revision=whole_number(request.POST.get("revision")))  # fmt: skip
        except REFUSED as refused:
            problem = str(refused)
        else:
            messages.success(request, "The contact is removed. The child's results are being "
                                      "updated; the removal can be undone below.")  # fmt: skip
            return redirect(record_url(unit, period, patient, "changes"))
    context = {"unit": unit, "period": period, "patient": patient, "contact": contact,
               "version": _version(unit, period), "problem": problem,
               "back": record_url(unit, period, patient, "contacts")}  # fmt: skip
    return render(request, "workspace/contact_remove.html", context, status=409 if problem else 200)


@login_required
def child_form(request: HttpRequest, code: str, pk: int | None = None):
    """A new child of the unit's year (`pk` None) or a change to a child's details."""
    unit, period = unit_for(request, code), period_for(request)
    patient = child_of(unit, period, pk) if pk else None
    _may(request, "change_patient" if patient else "add_patient")
    kwargs = {"unit": unit, "period": period, "today": common.today(), "patient": patient}
    if request.method == "POST":
        form = ChildForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                saved = edits.save_child(
                    unit, period, form.checked, user=request.user,
                    version=form.cleaned_data["version"], patient=patient,
                    revision=form.cleaned_data["revision"],
                )  # fmt: skip
            except REFUSED as refused:
                _refuse(form, refused)
            else:
                messages.success(request, "The child's details are saved.")
                return redirect(record_url(unit, period, saved))
    else:
        form = ChildForm(**kwargs)
        form.initial.update({"version": _version(unit, period),
                             "revision": patient.revision if patient else None})  # fmt: skip
    back = record_url(unit, period, patient) if patient else (
        reverse("unit-children", args=[unit.pk]) + f"?year={period.start_date.year}")  # fmt: skip
    context = {"unit": unit, "period": period, "patient": patient, "form": form, "back": back}
    return _render(request, "workspace/child_form.html", context, form)


@login_required
@require_POST
def undo(request: HttpRequest, code: str, pk: int):
    """Undo one recorded change to the child's data (itself recorded)."""
    unit, period = unit_for(request, code), period_for(request)
    patient = child_of(unit, period, pk)
    _may(request, "change_visit")
    change = history.change_of(patient, request.POST.get("change", ""))
    try:
        edits.undo_change(unit, period, change, user=request.user)
    except REFUSED as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "The change is undone. The child's results are being updated.")
    return redirect(record_url(unit, period, patient, "changes"))
