from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class DashboardsConfig(AppConfig):
    name = "dashboards"

    def ready(self) -> None:
        _register_dash_hooks_once()
        # Importing the modules registers their DjangoDash apps.
        from dashboards import funnel_explorer, map_explorer, reference_map, unit_profile  # noqa: F401

        # Sent per app with models; this app has none, django-plotly-dash's table is the one.
        dash_models = apps.get_app_config("django_plotly_dash")
        post_migrate.connect(register_dash_app_rows, sender=dash_models)


def register_dash_app_rows(**kwargs) -> None:
    """django-plotly-dash writes a StatelessApp row the first time anyone opens an app; made
    after every migrate (and every flush, which also sends post_migrate), an anonymous visitor
    never causes a database write. Reads the registry, so a new app needs no list kept."""
    from django.utils.text import slugify
    from django_plotly_dash.dash_wrapper import usable_apps
    from django_plotly_dash.models import StatelessApp

    using = kwargs.get("using", "default")
    for name in usable_apps:
        StatelessApp.objects.using(using).get_or_create(
            app_name=name, defaults={"slug": slugify(name)}
        )


def _register_dash_hooks_once() -> None:
    """Dash 3.4 looks for plugin entry points on every `Dash()` and never records that it has
    (its `_registered` flag stays False), so each scan of all installed packages costs ~9 ms;
    django-plotly-dash builds a Dash instance for every callback request. Scan once here."""
    from dash._hooks import HooksManager

    if not getattr(HooksManager, "_registered", True):
        HooksManager.register_setuptools()
        HooksManager._registered = True
