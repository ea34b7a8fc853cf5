from django.apps import AppConfig


class AuditTeamConfig(AppConfig):
    name = "npda.audit_team"
    label = "npda_audit_team"
    verbose_name = "NPDA audit team"
