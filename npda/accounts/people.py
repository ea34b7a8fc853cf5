"""Account pages for the people who manage accounts: a unit's full-access lead (their units'
people, unit roles only) and the RCPCH audit team's full-access group (everyone but
superusers). The rules are npda.accounts.access_rules', the same as the admin's; every change is
audited, and a new person sets their own password from an emailed link."""

import secrets

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache

from npda.accounts.access_rules import check_account_change
from npda.accounts.activity import record_activity
from npda.data_model import models as m
from npda.data_model.models.users import canonical_email
from npda.data_model.scope import (
    grantable_groups,
    manageable_users,
    manages_users,
    sees_all_units,
    units_for_user,
)


class AccountForm(forms.ModelForm):
    role = forms.ModelChoiceField(queryset=None, empty_label=None, label="Role")
    units = forms.ModelMultipleChoiceField(
        queryset=None, required=False, label="Units", widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = m.NPDAUser
        fields = ("email", "first_name", "surname", "is_active")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["role"].queryset = grantable_groups(actor).order_by("name")
        own_units = (
            m.PaediatricDiabetesUnit.objects.all()
            if sees_all_units(actor)
            else (units_for_user(actor))
        )
        self.fields["units"].queryset = own_units.order_by("name")
        if self.instance.pk:
            self.fields["role"].initial = self.instance.groups.first()
            self.fields["units"].initial = self.instance.organisation_employers.all()

    def clean_email(self) -> str:
        email = canonical_email(self.cleaned_data["email"])
        taken = m.NPDAUser.objects.filter(email=email).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("There is already an account with this email address.")
        return email

    def clean(self):
        data = super().clean()
        role, units = data.get("role"), list(data.get("units") or [])
        if role is not None and role.name.startswith("Trust") and not units:
            self.add_error("units", "A unit role needs at least one unit.")
        if role is not None and not self.errors:
            try:
                check_account_change(self.actor, self.instance, [role], units or None)
            except PermissionDenied as error:
                raise forms.ValidationError(str(error)) from error
        return data


def _manager(request: HttpRequest) -> None:
    if not manages_users(request.user):
        raise PermissionDenied("Managing accounts is for a unit's full-access lead and the "
                               "RCPCH audit team.")  # fmt: skip


@never_cache
@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    _manager(request)
    people = (
        manageable_users(request.user).filter(is_superuser=False)
        .prefetch_related("groups", "organisation_employers").order_by("email")
    )  # fmt: skip
    return render(request, "accounts/people.html", {"people": people})


@never_cache
@login_required
def account_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _manager(request)
    target = m.NPDAUser()
    if pk is not None:
        # Judged on the account's current role and units, before any of the form is read.
        target = get_object_or_404(manageable_users(request.user).filter(is_superuser=False),
                                   pk=pk)  # fmt: skip
    form = AccountForm(request.POST or None, instance=target, actor=request.user)
    if request.method == "POST" and form.is_valid():
        new = target.pk is None
        with transaction.atomic():
            person = form.save(commit=False)
            if new:  # a random secret: they choose theirs from the emailed link
                person.set_password(secrets.token_urlsafe(32))
            person.save()
            person.groups.set([form.cleaned_data["role"]])
            person.organisation_employers.set(form.cleaned_data["units"])
            record_activity(request, m.ActivityType.USER_CHANGED, user=request.user,
                            success=True, detail=f"user {person.pk} ({person.email})"
                            + (" created" if new else ""))  # fmt: skip
        if new:
            invite = PasswordResetForm({"email": person.email})
            invite.is_valid()
            invite.save(request=request, use_https=request.is_secure(),
                        email_template_name="registration/reset_email.txt",
                        subject_template_name="registration/reset_email_subject.txt")  # fmt: skip
        return redirect("accounts")
    return render(request, "accounts/person_form.html", {"form": form, "target": target})
