from django.apps import AppConfig


class NpdaConfig(AppConfig):
    """The data model: its label stays "npda", so its tables, migrations, content types and
    permission names are those it always had."""

    name = "npda.data_model"
    label = "npda"
    verbose_name = "NPDA"
