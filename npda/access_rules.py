"""Access rules shared by the admin and the account pages (issue 11): a person sees and changes
only their own units' children and submissions (the RCPCH audit team and superusers: all),
unpublished results above unit level are the audit team's, and accounts and roles change
only within the actor's units and never above the actor's own role."""

from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from constants.groups import GRANTABLE_GROUPS
from npda import models as m
from npda.activity import record_activity
from npda.selectors import units_for_user

# Fields only a superuser may see change: they confer powers beyond any group.
SUPERUSER_FIELDS = ("is_superuser", "is_staff", "user_permissions")


def sees_all_units(user) -> bool:
    return user.is_superuser or user.has_perm("npda.view_all_units")


class UnitScopedAdmin(admin.ModelAdmin):
    """Rows that belong to a unit, reached by `unit_path` (a lookup to the unit)."""

    unit_path = "paediatric_diabetes_unit"

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if sees_all_units(request.user):
            return rows
        return rows.filter(**{f"{self.unit_path}__in": units_for_user(request.user)}).distinct()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is m.PaediatricDiabetesUnit and not sees_all_units(request.user):
            kwargs["queryset"] = units_for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


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
        super().save_model(request, obj, form, change)
        record_activity(request, m.ActivityType.ADMIN_PATIENT_CHANGED, user=request.user,
                        success=True, detail=f"{self.model._meta.model_name} {obj.pk}")  # fmt: skip

    def delete_model(self, request, obj):
        detail = f"{self.model._meta.model_name} {obj.pk} deleted"
        super().delete_model(request, obj)
        record_activity(request, m.ActivityType.ADMIN_PATIENT_CHANGED, user=request.user,
                        success=True, detail=detail)  # fmt: skip


def grantable_groups(actor):
    """The groups `actor` may give: superusers any; otherwise by their own highest group."""
    if actor.is_superuser:
        return Group.objects.all()
    names = set()
    for group in actor.groups.values_list("name", flat=True):
        names.update(GRANTABLE_GROUPS.get(group, ()))
    return Group.objects.filter(name__in=names)


def manages_users(actor) -> bool:
    return (
        actor.is_superuser
        or actor.has_perm("npda.change_npdauser")
        or actor.has_perm("npda.manage_unit_users")
    )


def users_in_scope(actor):
    users = m.NPDAUser.objects.all()
    if sees_all_units(actor):
        return users
    return users.filter(organisation_employers__in=units_for_user(actor)).distinct()


def check_account_change(actor, target, groups, units) -> None:
    """Refuse a role above the actor's own, units outside theirs, or any change to a
    superuser by someone who is not one (the admin's forms offer no more, but a crafted POST
    may ask for it)."""
    if actor.is_superuser:
        return
    if target.pk and target.is_superuser:
        raise PermissionDenied("Only a superuser may change a superuser.")
    allowed = set(grantable_groups(actor).values_list("pk", flat=True))
    if any(g.pk not in allowed for g in groups):
        raise PermissionDenied("You may not give a role above your own.")
    if not sees_all_units(actor):
        own = set(units_for_user(actor).values_list("pk", flat=True))
        if not units or any(u.pk not in own for u in units):
            raise PermissionDenied("You may give access only to your own units.")
