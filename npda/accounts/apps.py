from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "npda.accounts"
    label = "npda_accounts"
    verbose_name = "NPDA accounts and security"

    def ready(self) -> None:
        from npda.accounts import activity  # noqa: F401  (connects the login audit-trail receivers)
