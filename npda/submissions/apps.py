from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "npda.submissions"
    label = "npda_submissions"
    verbose_name = "NPDA submissions"
