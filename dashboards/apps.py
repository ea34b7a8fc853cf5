from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"

    def ready(self) -> None:
        from dashboards import reference_map  # noqa: F401  (registers the DjangoDash app)
