"""The KPI job queue, the record of every computation run, and the outlier policy."""

from django.db import models

from npda.models import AuditPeriod, Measure, PaediatricDiabetesUnit


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


FORMAL_OUTLIER_MEASURES = ("32.1", "44")  # benchmarking-methods.md §6 (44: the type 1 mean)


class OutlierPolicy(models.Model):
    """How units are classified on one measure in one audit year (benchmarking-methods.md §5.6,
    §6). Without a row the default applies: funnel limits, with the additive adjustment when
    overdispersion is declared, formal for 32.1 and 44 only."""

    class Method(models.TextChoices):
        FUNNEL = "funnel", "Funnel limits"
        FIXED_THRESHOLD = "fixed_threshold", "Fixed cut-offs"

    class Overdispersion(models.TextChoices):
        ADDITIVE = "additive", "Test; additive random effects if declared (default)"
        MULTIPLICATIVE = "multiplicative", "Test; multiplicative if declared (sensitivity only)"
        NONE = "none", "No adjustment: exact limits"

    audit_period = models.ForeignKey(AuditPeriod, on_delete=models.CASCADE, related_name="+")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.FUNNEL)
    overdispersion = models.CharField(
        max_length=16, choices=Overdispersion.choices, default=Overdispersion.ADDITIVE
    )
    # Fixed cut-offs, on the scale of the measure's value (a proportion 0-1, mmol/mol, ...):
    # strictly beyond an alert cut-off is an alert, beyond an alarm cut-off an alarm.
    alert_lower = models.FloatField(null=True, blank=True)
    alert_upper = models.FloatField(null=True, blank=True)
    alarm_lower = models.FloatField(null=True, blank=True)
    alarm_upper = models.FloatField(null=True, blank=True)
    is_formal = models.BooleanField(
        default=False, help_text="a formal outlier measure: flags start the outlier process"
    )

    class Meta:
        verbose_name_plural = "outlier policies"
        constraints = [
            models.UniqueConstraint(
                fields=["audit_period", "measure"], name="one_outlier_policy_per_measure_year"
            ),
            models.CheckConstraint(
                condition=~models.Q(method="fixed_threshold")
                | models.Q(alert_lower__isnull=False)
                | models.Q(alert_upper__isnull=False),
                name="fixed_threshold_needs_a_cut_off",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure_id} {self.audit_period}: {self.get_method_display()}"

    @classmethod
    def default(cls, audit_period_id: int, measure_number: str) -> "OutlierPolicy":
        return cls(
            audit_period_id=audit_period_id,
            measure_id=measure_number,
            is_formal=measure_number in FORMAL_OUTLIER_MEASURES,
        )

    def as_json(self) -> dict:
        return {
            "method": self.method,
            "overdispersion": self.overdispersion,
            "formal": self.is_formal,
            "cut_offs": {
                name: getattr(self, name)
                for name in ("alert_lower", "alert_upper", "alarm_lower", "alarm_upper")
                if getattr(self, name) is not None
            },
        }
