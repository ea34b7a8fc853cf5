from django.apps import AppConfig


class NpdaConfig(AppConfig):
    name = "npda"
    verbose_name = "NPDA"

    def ready(self) -> None:
        from npda import activity  # noqa: F401  (connects the login audit-trail receivers)
