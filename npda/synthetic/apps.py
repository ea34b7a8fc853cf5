from django.apps import AppConfig


class SyntheticConfig(AppConfig):
    name = "npda.synthetic"
    label = "npda_synthetic"
    verbose_name = "NPDA synthetic cohort"
