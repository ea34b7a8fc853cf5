from django.apps import AppConfig


class BoundariesConfig(AppConfig):
    name = "boundaries"
