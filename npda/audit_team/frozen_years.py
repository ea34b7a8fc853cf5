"""A child's data in the admin follow the rules of the uploads and web forms (issues 21, 23): a
signed-off year (and a closed year, for a unit's staff) cannot be changed here either.

The change page of a row in such a year shows it read-only with the reason; a crafted change
or delete of it is refused (403); a new row, or a changed link, into such a year is a form
error naming who signed off and when."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q

from npda.data_model import models as m
from npda.submissions.edits import read_only_reason


def years_read_only_reason(user, pairs) -> str:
    """Why one of these (unit code, audit period id) years cannot be changed by the user ("" if
    none): the first reason found."""
    pairs = set(pairs)
    if not pairs:
        return ""
    units = m.PaediatricDiabetesUnit.objects.in_bulk({unit for unit, _ in pairs})
    periods = m.AuditPeriod.objects.in_bulk({period for _, period in pairs})
    for unit, period in sorted(pairs):
        reason = read_only_reason(units[unit], periods[period], user)
        if reason:
            return reason
    return ""


def submission_years(submissions) -> set[tuple[str, int]]:
    return set(submissions.values_list("paediatric_diabetes_unit_id", "audit_period_id"))


class FrozenYearAdmin:
    """For admins of a child's data: `years_of(obj)` are the years a stored row belongs to,
    `years_of_values(cleaned_data)` the years a form's new values would put it in."""

    def years_of(self, obj) -> set[tuple[str, int]]:
        raise NotImplementedError

    def years_of_values(self, cleaned_data: dict) -> set[tuple[str, int]]:
        return set()

    def frozen_reason(self, request, obj) -> str:
        return years_read_only_reason(request.user, self.years_of(obj)) if obj is not None else ""

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not self.frozen_reason(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not self.frozen_reason(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            obj = self.get_object(request, object_id)
            reason = self.frozen_reason(request, obj)
            if reason:
                messages.warning(request, f"Shown read-only: {reason}")
        return super().change_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        model_admin = self

        class FrozenYearsChecked(form):
            def clean(self):
                cleaned = super().clean()
                years = model_admin.years_of_values(cleaned)
                reason = years_read_only_reason(request.user, years)
                if reason:
                    raise ValidationError(reason)
                return cleaned

        return FrozenYearsChecked


class VisitYears(FrozenYearAdmin):
    def years_of(self, obj):
        return submission_years(m.Submission.objects.filter(pk=obj.submission_id))

    def years_of_values(self, cleaned_data):
        submission = cleaned_data.get("submission")
        return submission_years(m.Submission.objects.filter(pk=getattr(submission, "pk", None)))


class PatientYears(FrozenYearAdmin):
    def years_of(self, obj):
        return submission_years(
            m.Submission.objects.filter(Q(patients=obj) | Q(visits__patient=obj))
        )


class SiteYears(FrozenYearAdmin):
    """A child's unit history changes which unit counts the child in every year it holds."""

    def years_of(self, obj):
        return self._years(obj.patient_id, obj.paediatric_diabetes_unit_id)

    def years_of_values(self, cleaned_data):
        patient, unit = cleaned_data.get("patient"), cleaned_data.get("paediatric_diabetes_unit")
        if patient is None or unit is None:
            return set()
        return self._years(patient.pk, unit.pk)

    @staticmethod
    def _years(patient_id, unit_id):
        return submission_years(
            m.Submission.objects.filter(
                Q(patients=patient_id) | Q(visits__patient=patient_id),
                paediatric_diabetes_unit=unit_id,
            )
        )


class SubmissionYears(FrozenYearAdmin):
    def years_of(self, obj):
        return {(obj.paediatric_diabetes_unit_id, obj.audit_period_id)}

    def years_of_values(self, cleaned_data):
        unit, period = (
            cleaned_data.get("paediatric_diabetes_unit"),
            cleaned_data.get("audit_period"),
        )
        return {(unit.pk, period.pk)} if unit is not None and period is not None else set()
