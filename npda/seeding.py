"""Seeding of lookups defined in constants/, called from data migrations.

Each function is idempotent, so a later migration can call it again after the constants change.
They take the migration's historical `apps`.
"""

from django.contrib.auth.management import create_permissions

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


def sync_groups(apps) -> None:
    """Create the six groups with exactly the `npda` permissions listed in constants.groups."""
    sync_group_permissions(apps, "npda", GROUP_PERMISSIONS)


def sync_kpi_job_groups(apps) -> None:
    """Give the groups exactly the `aggregation` permissions listed in constants.groups."""
    sync_group_permissions(apps, "aggregation", KPI_JOB_PERMISSIONS)


def sync_group_permissions(apps, app_label: str, by_group: dict[str, frozenset[str]]) -> None:
    """Set each group's permissions of one app (those of other apps are left as they are), so
    each app's migrations seed their own models' permissions once those models exist."""
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
        if missing:
            raise RuntimeError(f"Group {name!r} names unknown permissions: {sorted(missing)}")
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.remove(*group.permissions.filter(content_type__app_label=app_label))
        group.permissions.add(*permissions)
