"""Access rules of the admin and the account pages (issue 11), on the scope of
`npda.data_model.scope`: a person sees and changes only their own units' children and
submissions (the RCPCH audit team and superusers: all), unpublished results above unit level
are the audit team's, and accounts and roles change only within the actor's units and never
above the actor's own role."""

import pghistory
from django.contrib import admin
from django.core.exceptions import PermissionDenied

from npda.accounts.activity import record_activity
from npda.data_model import models as m
from npda.data_model.scope import (
    UNIT_LOOKUPS,
    grantable_groups,
    in_scope,
    manageable_users,
    sees_all_units,
    units_for_user,
)

# Fields only a superuser may see change: they confer powers beyond any group.
SUPERUSER_FIELDS = ("is_superuser", "is_staff", "user_permissions")


def check_in_scope(user, values) -> None:
    """Refuse a save that names a row outside the user's scope (the forms offer none, so only
    a crafted request gets here)."""
    for value in values:
        rows = value.all() if hasattr(value, "all") else [value]
        for row in rows:
            scoped = type(row) in UNIT_LOOKUPS or type(row) is m.NPDAUser
            if scoped and not in_scope(type(row).objects.filter(pk=row.pk), user).exists():
                raise PermissionDenied("That record belongs to another unit.")


class ScopedChoicesAdmin(admin.ModelAdmin):
    """Every foreign key and many-to-many of the form (select, raw-id or autocomplete) offers,
    and accepts, only rows in the user's scope; the save checks again."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs["queryset"] = in_scope(
            kwargs.get("queryset", db_field.related_model._default_manager.all()), request.user
        )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs["queryset"] = in_scope(
            kwargs.get("queryset", db_field.related_model._default_manager.all()), request.user
        )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        check_in_scope(request.user, form.cleaned_data.values())
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The saved row itself must stay in scope: it can never make another unit's row visible.
        if (
            type(form.instance) in UNIT_LOOKUPS
            and not in_scope(
                type(form.instance).objects.filter(pk=form.instance.pk), request.user
            ).exists()
        ):
            raise PermissionDenied("That record belongs to another unit.")


class UnitScopedAdmin(ScopedChoicesAdmin):
    """Rows that belong to a unit (UNIT_LOOKUPS): a unit's staff see their units' rows only."""

    def get_queryset(self, request):
        return in_scope(super().get_queryset(request), request.user)


class AuditTeamOnlyAdmin(admin.ModelAdmin):
    """Unpublished results above unit level: the audit team's alone."""

    def has_module_permission(self, request) -> bool:
        return sees_all_units(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return sees_all_units(request.user) and super().has_view_permission(request, obj)


class PatientAuditMixin:
    """Opening or changing a child's record in the admin is in the audit trail."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            detail = f"{self.model._meta.model_name} {object_id}"
            record_activity(request, m.ActivityType.ADMIN_PATIENT_VIEWED, user=request.user,
                            success=True, detail=detail)  # fmt: skip
        return response

    def save_model(self, request, obj, form, change):
        with pghistory.context(user=request.user.pk, source="admin"):  # the row's history
            super().save_model(request, obj, form, change)
        record_activity(request, m.ActivityType.ADMIN_PATIENT_CHANGED, user=request.user,
                        success=True, detail=f"{self.model._meta.model_name} {obj.pk}")  # fmt: skip

    def delete_model(self, request, obj):
        detail = f"{self.model._meta.model_name} {obj.pk} deleted"
        with pghistory.context(user=request.user.pk, source="admin"):
            super().delete_model(request, obj)
        record_activity(request, m.ActivityType.ADMIN_PATIENT_CHANGED, user=request.user,
                        success=True, detail=detail)  # fmt: skip


def check_account_change(actor, target, groups, units) -> None:
    """Refuse a role above the actor's own, units outside theirs, or any change to a
    superuser by someone who is not one (the admin's forms offer no more, but a crafted POST
    may ask for it)."""
    if actor.is_superuser:
        return
    if target.pk and not manageable_users(actor).filter(pk=target.pk).exists():
        raise PermissionDenied("You may not change an account above your own role or units.")
    allowed = set(grantable_groups(actor).values_list("pk", flat=True))
    if any(g.pk not in allowed for g in groups):
        raise PermissionDenied("You may not give a role above your own.")
    if not sees_all_units(actor):
        own = set(units_for_user(actor).values_list("pk", flat=True))
        if not units or any(u.pk not in own for u in units):
            raise PermissionDenied("You may give access only to your own units.")
