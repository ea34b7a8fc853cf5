"""Seeding of lookups defined in constants/, called from data migrations.

Each function is idempotent, so a later migration can call it again after the constants change.
They take the migration's historical `apps`.
"""

import datetime as dt

from django.contrib.auth.management import create_permissions

from constants.disclosure import POLICY_VERSIONS
from constants.groups import GROUP_PERMISSIONS, KPI_JOB_PERMISSIONS
from constants.kpis import MEASURES


def sync_measures(apps) -> None:
    Measure = apps.get_model("npda", "Measure")
    for order, measure in enumerate(sorted(MEASURES, key=lambda x: x.sort_key), start=1):
        Measure.objects.update_or_create(
            number=measure.number,
            defaults={
                "name": measure.name,
                "kind": measure.kind.value,
                "polarity": measure.polarity.value,
                "group": measure.group.value,
                "population": measure.population,
                "sort_order": order,
            },
        )
    Measure.objects.exclude(number__in=[m.number for m in MEASURES]).delete()


FIRST_AUDIT_YEAR = 2020  # the earliest period the platform knows (2020-21)


def audit_year_of(day: dt.date) -> int:
    """The audit year (1 April to 31 March) that a day falls in, by its starting year."""
    return day.year if day >= dt.date(day.year, 4, 1) else day.year - 1


def sync_audit_periods(apps, today: dt.date) -> int:
    """Create every audit period from 2020-21 to the one `today` falls in that is missing
    (periods are reference data). A new period is open while it runs; existing periods are left
    as the audit team set them. Returns the number created."""
    AuditPeriod = apps.get_model("npda", "AuditPeriod")
    years = range(FIRST_AUDIT_YEAR, audit_year_of(today) + 1)
    known = set(
        AuditPeriod.objects.filter(start_date__year__in=years).values_list(
            "start_date__year", flat=True
        )
    )
    missing = [
        AuditPeriod(
            start_date=dt.date(year, 4, 1),
            end_date=dt.date(year + 1, 3, 31),
            slug=f"{year}-{year + 1}",
            is_open=today <= dt.date(year + 1, 3, 31),
        )
        for year in years
        if year not in known
    ]
    AuditPeriod.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def sync_disclosure_policies(apps) -> None:
    """Store every version of the disclosure control policy (constants.disclosure). A version
    a release references is never changed; one an earlier migration stored before a parameter
    existed (and no release uses yet) gets the parameter when a later migration calls this."""
    DisclosurePolicy = apps.get_model("aggregation", "DisclosurePolicy")
    fields = {field.name for field in DisclosurePolicy._meta.get_fields()}
    for policy in POLICY_VERSIONS:
        parameters = {k: v for k, v in policy.parameters().items() if k in fields}
        stored, created = DisclosurePolicy.objects.get_or_create(
            policy_id=policy.policy_id, version=policy.version, defaults=parameters
        )
        if not created and not stored.releases.exists():
            DisclosurePolicy.objects.filter(pk=stored.pk).update(**parameters)


def sync_groups(apps) -> None:
    """Create the six groups with exactly the `npda` permissions listed in constants.groups."""
    sync_group_permissions(apps, "npda", GROUP_PERMISSIONS)


def sync_kpi_job_groups(apps, *, strict: bool = True) -> None:
    """Give the groups exactly the `aggregation` permissions listed in constants.groups."""
    sync_group_permissions(apps, "aggregation", KPI_JOB_PERMISSIONS, strict=strict)


def sync_group_permissions(
    apps, app_label: str, by_group: dict[str, frozenset[str]], *, strict: bool = True
) -> None:
    """Set each group's permissions of one app (those of other apps are left as they are), so
    each app's migrations seed their own models' permissions once those models exist.
    `strict=False` (an early migration) skips permissions of models that a later migration
    creates; that migration seeds them."""
    # Model permissions are normally created after all migrations; groups need them now.
    app_config = apps.get_app_config(app_label)
    models_module = getattr(app_config, "models_module", None)  # none in historical apps
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    of_app = Permission.objects.filter(content_type__app_label=app_label)
    for name, codenames in by_group.items():
        permissions = list(of_app.filter(codename__in=codenames))
        missing = set(codenames) - {p.codename for p in permissions}
        if missing and strict:
            raise RuntimeError(f"Group {name!r} names unknown permissions: {sorted(missing)}")
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.remove(*group.permissions.filter(content_type__app_label=app_label))
        group.permissions.add(*permissions)
