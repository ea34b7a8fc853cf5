"""The KPI job queue, the record of every computation run, and the outlier policy."""

from django.conf import settings
from django.db import models

from npda.data_model.models import AuditPeriod, Measure, PaediatricDiabetesUnit


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


# Releases ----------------------------------------------------------------------------------------


class DisclosurePolicy(models.Model):
    """A version of the statistical disclosure control policy (disclosure-control.md §6),
    seeded from constants.disclosure; a changed parameter is a new version, never an edit."""

    policy_id = models.CharField(max_length=8, default="SDC")
    version = models.PositiveSmallIntegerField()
    effective_from = models.DateField()
    small_count_max = models.PositiveSmallIntegerField(help_text="counts 1 .. this are shown *")
    rounding_base = models.PositiveSmallIntegerField(help_text="other counts round to this")
    min_contributors = models.PositiveSmallIntegerField(
        help_text="means and medians of fewer children are withheld"
    )
    sensitive_measures = models.JSONField(
        default=list, help_text="measures under the sub-national rules at every level"
    )
    secondary_suppression = models.BooleanField(default=True)
    complement_protection = models.BooleanField(default=False)
    means_withheld_with_hidden_counts = models.BooleanField(
        default=True,
        help_text="SDC-1: a mean or median is withheld with its hidden contributor count; "
        "SDC-2: only when fewer than min_contributors children contribute",
    )
    recovery_check = models.BooleanField(
        default=False, help_text="§5.4: check that no withheld cell can be recovered"
    )
    description = models.TextField()
    approved_by = models.CharField(max_length=120)
    approved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "disclosure policies"
        ordering = ["policy_id", "version"]
        constraints = [
            models.UniqueConstraint(fields=["policy_id", "version"], name="one_policy_version")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.policy_id}-{self.version}"


class Release(models.Model):
    """One frozen, disclosure-controlled snapshot of an audit period's results, as at a
    calculation date. Never deleted: a newer release of the same period, kind and date
    supersedes it, and it stays readable by id."""

    class Kind(models.TextChoices):
        PROVISIONAL = "provisional", "Provisional"
        FINAL = "final", "Final"

    audit_period = models.ForeignKey(AuditPeriod, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    calculation_date = models.DateField(help_text="C: the results are as at this date")
    method_version = models.CharField(max_length=80)
    outlier_policy_version = models.CharField(max_length=40)
    outlier_policy = models.JSONField(
        default=dict, blank=True, help_text="the outlier policy of each measure, as applied"
    )
    disclosure_policy = models.ForeignKey(
        DisclosurePolicy, on_delete=models.PROTECT, related_name="releases"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField()
    notes = models.TextField(blank=True)
    superseded_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="supersedes"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    reference_data = models.CharField(
        max_length=64, blank=True, help_text="fingerprint of the reference data (geography) used"
    )
    rows = models.PositiveIntegerField(default=0)
    suppression_summary = models.JSONField(
        default=dict, blank=True, help_text="suppressed cells by reason and level (no values)"
    )
    duration_seconds = models.FloatField(null=True, blank=True)
    benchmarked = models.BooleanField(
        default=False, help_text="compared with England and Wales (the period had ended at C)"
    )

    class Meta:
        ordering = ["-calculation_date", "-created_at"]
        permissions = [
            ("view_suppression_log", "Can download the suppression log of a release"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["audit_period", "kind", "calculation_date"],
                condition=models.Q(superseded_at__isnull=True),
                name="one_current_release_per_period_kind_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="final") | models.Q(benchmarked=True),
                name="final_release_is_benchmarked",
            ),
        ]
        indexes = [models.Index(fields=["kind", "superseded_at"])]

    def __str__(self) -> str:
        return f"Release {self.pk}: {self.audit_period} {self.kind} as at {self.calculation_date}"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


class ReleaseArea(models.Model):
    """The areas of a release and their parents, as the geography stood when it was made."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="areas")
    level = models.CharField(max_length=8)
    code = models.CharField(max_length=12)
    name = models.CharField(max_length=160)
    parent_level = models.CharField(max_length=8, blank=True)
    parent_code = models.CharField(max_length=12, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["release", "level", "code"], name="one_release_area")
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.code} {self.name}"


class ReleaseAggregate(models.Model):
    """One published figure: an area's result for one measure (and breakdown category) in one
    release, after disclosure control. True values of suppressed cells are not here: they are
    in the suppression log, for the audit team only.

    Counts are as displayed (rounded below national level; NULL when suppressed, with the flag
    set); `value` and its limits are rounded to their display precision and NULL when withheld
    (`value_note` says why) or not applicable."""

    # Written in bulk by one COPY: the unique index below is the only index (it starts with
    # the release), and the measure (from the registry) has no per-row database check.
    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="aggregates", db_index=False
    )
    level = models.CharField(max_length=8)
    area_code = models.CharField(max_length=12)
    measure = models.ForeignKey(
        Measure, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    breakdown = models.CharField(max_length=20, blank=True, help_text="'' for the total")
    category = models.CharField(max_length=20, blank=True)
    numerator = models.PositiveIntegerField(null=True, blank=True)
    numerator_suppressed = models.BooleanField(default=False)
    denominator = models.PositiveIntegerField(null=True, blank=True)
    denominator_suppressed = models.BooleanField(default=False)
    value = models.FloatField(null=True, blank=True)
    value_note = models.CharField(max_length=32, blank=True)
    suppression_reason = models.CharField(max_length=24, blank=True)
    ci95_low = models.FloatField(null=True, blank=True)
    ci95_high = models.FloatField(null=True, blank=True)
    ci998_low = models.FloatField(null=True, blank=True)
    ci998_high = models.FloatField(null=True, blank=True)
    sd = models.FloatField(null=True, blank=True)
    # Comparison with England and Wales (ended periods) and funnel (final releases, units).
    comparison = models.CharField(max_length=16, blank=True)
    comparison_5 = models.CharField(max_length=16, blank=True)
    funnel_n = models.PositiveIntegerField(null=True, blank=True)
    funnel_lower_95 = models.FloatField(null=True, blank=True)
    funnel_upper_95 = models.FloatField(null=True, blank=True)
    funnel_lower_998 = models.FloatField(null=True, blank=True)
    funnel_upper_998 = models.FloatField(null=True, blank=True)
    z_score = models.FloatField(null=True, blank=True)
    outlier = models.CharField(max_length=8, blank=True)
    outlier_direction = models.CharField(max_length=8, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["release", "level", "measure", "breakdown", "category", "area_code"],
                name="one_release_figure",
            )
        ]

    def __str__(self) -> str:
        return f"{self.release_id} {self.level} {self.area_code} {self.measure_id}"


class ReleaseMeasure(models.Model):
    """Per measure and release, what every page would otherwise recompute: the funnel
    parameters (final releases) and the spread of the units' published values."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="measures")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="+")
    funnel = models.JSONField(null=True, blank=True)
    unit_spread = models.JSONField(null=True, blank=True, help_text="min, quartiles, max, n")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["release", "measure"], name="one_release_measure")
        ]

    def __str__(self) -> str:
        return f"{self.release_id} {self.measure_id}"


class SuppressionLogEntry(models.Model):
    """disclosure-control.md §7: one suppressed cell or withheld value of a release. Holds the
    true value: the audit team only, never exported outside it."""

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="suppressions", db_index=False
    )
    output_id = models.CharField(max_length=20, default="aggregates")
    level = models.CharField(max_length=8)
    area_code = models.CharField(max_length=12)
    measure = models.ForeignKey(
        Measure, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    breakdown = models.CharField(max_length=20, blank=True)
    category = models.CharField(max_length=20, blank=True)
    cell_role = models.CharField(max_length=12)
    reason = models.CharField(max_length=24)
    constraint_id = models.CharField(max_length=120, blank=True)
    true_value = models.FloatField(null=True, blank=True)
    displayed_value = models.CharField(max_length=4, default="*")

    class Meta:
        verbose_name_plural = "suppression log entries"
        indexes = [models.Index(fields=["release", "reason"])]

    def __str__(self) -> str:
        return f"{self.release_id} {self.level} {self.area_code} {self.measure_id} {self.reason}"


class UnitOutlierClass(models.Model):
    """benchmarking-methods.md §6: a unit's class on a formal outlier measure of a final
    release, computed on its true figures whatever disclosure control withholds from the
    public; or (no measure) a unit that should have submitted data for the year and did not.
    Holds true values: confidential to the audit team, like the suppression log."""

    NON_PARTICIPATION = "non_participation"

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="outlier_classes", db_index=False
    )
    unit_code = models.CharField(max_length=12)
    unit_name = models.CharField(max_length=160, help_text="as the release's geography names it")
    measure = models.ForeignKey(
        Measure, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
        help_text="empty for non-participation",
    )  # fmt: skip
    n = models.PositiveIntegerField(null=True, blank=True, help_text="the funnel's true n")
    value = models.FloatField(null=True, blank=True, help_text="true, in the published unit")
    funnel_lower_95 = models.FloatField(null=True, blank=True)
    funnel_upper_95 = models.FloatField(null=True, blank=True)
    funnel_lower_998 = models.FloatField(null=True, blank=True)
    funnel_upper_998 = models.FloatField(null=True, blank=True)
    z_score = models.FloatField(null=True, blank=True)
    outlier = models.CharField(max_length=20, help_text="within, alert, alarm or non_participation")
    outlier_direction = models.CharField(max_length=8, blank=True)
    published = models.BooleanField(help_text="the public funnel shows the unit's point")
    public_note = models.CharField(
        max_length=32, blank=True, help_text="why the public value is withheld (value_note)"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["release", "measure", "unit_code"], name="one_outlier_class_per_unit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.release_id} {self.unit_code} {self.measure_id or '-'}: {self.outlier}"


class OutlierProcessStep(models.Model):
    """One step of the formal outlier process taken for a unit flagged on a formal outlier
    measure of a final release (benchmarking-methods.md §6; the steps and timings are those of
    the HQIP outlier guidance for the cycle). Kept with the release; a step is recorded, never
    edited: a correction is a further step with a note."""

    class Step(models.TextChoices):
        LEAD_NOTIFIED = "lead_notified", "Unit's clinical lead notified"
        RESPONSE_RECEIVED = "response_received", "Unit's response received"
        EXECUTIVE_NOTIFIED = "executive_notified", "Chief executive and medical director notified"
        REGULATOR_INFORMED = "regulator_informed", "Regulator informed (CQC or HIW)"
        PUBLISHED = "published", "Outlier status published"
        CLOSED = "closed", "Process closed"

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="outlier_steps")
    unit = models.ForeignKey(PaediatricDiabetesUnit, on_delete=models.PROTECT, related_name="+")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="+")
    step = models.CharField(max_length=20, choices=Step.choices)
    taken_on = models.DateField(help_text="the date the step was taken (letter sent, reply dated)")
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["release", "unit", "measure", "taken_on", "recorded_at"]
        indexes = [models.Index(fields=["release", "unit", "measure"])]

    def __str__(self) -> str:
        return f"{self.release_id} {self.unit_id} {self.measure_id}: {self.get_step_display()}"
