from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"

    def ready(self) -> None:
        # Importing the modules registers their DjangoDash apps.
        from dashboards import map_explorer, reference_map  # noqa: F401
