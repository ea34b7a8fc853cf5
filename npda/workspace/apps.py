from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "npda.workspace"
    label = "npda_workspace"
    verbose_name = "NPDA unit workspace"
