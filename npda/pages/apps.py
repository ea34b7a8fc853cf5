from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "npda.pages"
    label = "npda_pages"
    verbose_name = "NPDA public pages"
