from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"

    def ready(self) -> None:
        _register_dash_hooks_once()
        # Importing the modules registers their DjangoDash apps.
        from dashboards import funnel_explorer, map_explorer, reference_map, unit_profile  # noqa: F401


def _register_dash_hooks_once() -> None:
    """Dash 3.4 looks for plugin entry points on every `Dash()` and never records that it has
    (its `_registered` flag stays False), so each scan of all installed packages costs ~9 ms;
    django-plotly-dash builds a Dash instance for every callback request. Scan once here."""
    from dash._hooks import HooksManager

    if not getattr(HooksManager, "_registered", True):
        HooksManager.register_setuptools()
        HooksManager._registered = True
