"""Whose data a person may see and whose account they may change: every read of a child's
data, every choice a form offers and every account change goes through these (the admin, the
pages, the selectors of `aggregation` and `dashboards`). Queries over the data model and the
groups of `constants.groups`, nothing more."""

from django.contrib.auth.models import Group
from django.db.models import Model, QuerySet

from constants.groups import GRANTABLE_GROUPS
from npda.data_model import models as m


def units_for_user(user) -> QuerySet:
    """The units whose data a user may see: every unit for the RCPCH audit team, otherwise
    the units the user works for."""
    if not user.is_authenticated:
        return m.PaediatricDiabetesUnit.objects.none()
    if user.has_perm("npda.view_all_units"):
        return m.PaediatricDiabetesUnit.objects.all()
    return user.organisation_employers.all()


def sees_all_units(user) -> bool:
    return user.is_superuser or user.has_perm("npda.view_all_units")


# Every model whose rows belong to units, and the lookup from it to its unit. A unit's staff
# reach a row, and may choose it in a form, only through this scope.
UNIT_LOOKUPS: dict[type[Model], str] = {
    m.PaediatricDiabetesUnit: "pk",
    m.Patient: "sites__paediatric_diabetes_unit",
    m.Site: "paediatric_diabetes_unit",
    m.Visit: "submission__paediatric_diabetes_unit",  # the contact's own unit, not the child's
    m.Submission: "paediatric_diabetes_unit",
    m.SubmissionEvent: "submission__paediatric_diabetes_unit",
    m.SubmissionRecords: "submission__paediatric_diabetes_unit",
    m.SignOff: "paediatric_diabetes_unit",
    m.AuditProgress: "patient__sites__paediatric_diabetes_unit",
    m.KPI: "paediatric_diabetes_unit",
    m.PDUKPIAggregation: "paediatric_diabetes_unit",
}


def in_scope(rows: QuerySet, user) -> QuerySet:
    """The rows of `rows` that `user` may see: unit-owned rows of their units, and accounts
    they may see; other models (reference data) unchanged."""
    if sees_all_units(user):
        return rows
    if rows.model is m.NPDAUser:
        return rows.filter(pk__in=visible_users(user))
    lookup = UNIT_LOOKUPS.get(rows.model)
    if lookup is None:
        return rows
    return rows.filter(**{f"{lookup}__in": units_for_user(user)}).distinct()


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


def visible_users(actor) -> QuerySet:
    """Accounts `actor` may see: everyone for the audit team, else those of their units."""
    users = m.NPDAUser.objects.all()
    if sees_all_units(actor):
        return users
    return users.filter(organisation_employers__in=units_for_user(actor)).distinct()


def manageable_users(actor) -> QuerySet:
    """Accounts `actor` may change, reset, deactivate or re-email, judged on each account's
    current role and units: no role the actor could not give (so none above their own), no
    unit the actor does not hold, never a superuser unless the actor is one, never one given
    permissions of its own (only a superuser gives those), and never one with the admin's
    staff flag unless the actor has it too."""
    if actor.is_superuser:
        return m.NPDAUser.objects.all()
    users = visible_users(actor).filter(is_superuser=False, user_permissions__isnull=True)
    if not actor.is_staff:
        users = users.filter(is_staff=False)
    users = users.exclude(groups__in=Group.objects.exclude(pk__in=grantable_groups(actor)))
    if not sees_all_units(actor):
        others = m.PaediatricDiabetesUnit.objects.exclude(pk__in=units_for_user(actor))
        users = users.exclude(organisation_employers__in=others)
    return users
