"""The KPI job queue and the record of every computation run."""

from django.db import models

from npda.models import AuditPeriod, PaediatricDiabetesUnit


class RecomputeRequest(models.Model):
    """A request to recompute one unit's KPIs, recorded by an upload and run by the scheduler.

    At most one request per unit and period waits at a time (later ones coalesce into it).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed (gave up after repeated errors)"

    paediatric_diabetes_unit = models.ForeignKey(
        PaediatricDiabetesUnit, on_delete=models.CASCADE, related_name="+"
    )
    audit_period = models.ForeignKey(AuditPeriod, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=40, default="upload")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    requested_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    run = models.ForeignKey(
        "KPIRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="requests"
    )

    class Meta:
        ordering = ["requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["paediatric_diabetes_unit", "audit_period"],
                condition=models.Q(status="queued"),
                name="recompute_one_queued_per_unit_period",
            )
        ]
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:
        return f"{self.paediatric_diabetes_unit_id} {self.audit_period} ({self.status})"


class KPIRun(models.Model):
    """One run of the KPI computation (or of a publication), successful or not."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        NIGHTLY = "nightly", "Nightly full recompute"
        UPLOAD = "upload", "Unit recompute after an upload"
        COMMAND = "command", "compute_kpis command"
        PUBLISH = "publish", "publish_aggregates command"
        SERVICE = "service", "Direct call"

    audit_period = models.ForeignKey(AuditPeriod, on_delete=models.CASCADE, related_name="+")
    trigger = models.CharField(max_length=8, choices=Trigger.choices, default=Trigger.SERVICE)
    pdu_codes = models.JSONField(default=list, blank=True, help_text="empty: every unit")
    calculation_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    children_scored = models.PositiveIntegerField(default=0)
    kpi_rows = models.PositiveIntegerField(default=0)
    progress_rows = models.PositiveIntegerField(default=0)
    aggregate_rows = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    host = models.CharField(max_length=120, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "KPI run"
        get_latest_by = "started_at"

    def __str__(self) -> str:
        scope = ", ".join(self.pdu_codes) if self.pdu_codes else "all units"
        return f"{self.audit_period} {scope} at {self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def rows_written(self) -> int:
        return self.kpi_rows + self.progress_rows + self.aggregate_rows
