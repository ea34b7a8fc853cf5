"""Per-child KPI states and their aggregations (kpis.md §3).

`KPI` is one row per child and audit period with one state column per measure, generated from
the registry in constants/kpis.py; `KPIAggregation` holds the pooled counts per area and measure
(one concrete table per level). Only the aggregation jobs write these tables.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models

from constants.kpis import MEASURES, MeasureGroup, MeasureKind, Polarity

from .audit import AuditPeriod, Patient
from .geography import (
    Country,
    IntegratedCareBoard,
    LocalHealthBoard,
    NHSEnglandRegion,
    OpenUKNetwork,
    PaediatricDiabetesNetwork,
    PaediatricDiabetesUnit,
    Trust,
)


class Measure(models.Model):
    """The KPI registry as a table (seeded from constants.kpis.MEASURES)."""

    number = models.CharField(max_length=4, primary_key=True)
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=20, choices=[(k.value, k.value) for k in MeasureKind])
    polarity = models.CharField(max_length=4, choices=[(p.value, p.value) for p in Polarity])
    group = models.CharField(max_length=40, choices=[(g.value, g.value) for g in MeasureGroup])
    population = models.CharField(max_length=8)
    sort_order = models.PositiveSmallIntegerField(unique=True)

    class Meta:
        ordering = ["sort_order"]

    def __str__(self) -> str:
        return f"KPI {self.number}: {self.name}"


class KPIState(models.IntegerChoices):
    INELIGIBLE = 0, "Ineligible"
    PASSED = 1, "Passed"
    FAILED = 2, "Failed"
    INCOMPLETE = 3, "Incomplete"
    NOT_AVAILABLE = 4, "Not available (not collected in this dataset)"


class KPI(models.Model):
    """The state of every measure for one child (child-unit episode) in one audit period."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="kpis")
    audit_period = models.ForeignKey(AuditPeriod, on_delete=models.CASCADE, related_name="+")
    paediatric_diabetes_unit = models.ForeignKey(
        PaediatricDiabetesUnit, on_delete=models.CASCADE, related_name="+"
    )
    calculation_date = models.DateField(help_text="C: the date the states are 'as at'")
    computed_at = models.DateTimeField()
    health_checks_done = models.PositiveSmallIntegerField(default=0)  # 32.1 numerator
    health_checks_expected = models.PositiveSmallIntegerField(default=0)  # 32.1 denominator
    hba1c_median = models.FloatField(
        "per-child median HbA1c (mmol/mol)", null=True, blank=True
    )  # 44, 45
    admissions = models.PositiveSmallIntegerField(default=0)  # 46
    dka_admissions = models.PositiveSmallIntegerField(default=0)  # 47
    # Inputs of the standard breakdowns (kpis.md §6), pooled like the states.
    diabetes_type = models.PositiveSmallIntegerField(null=True, blank=True)  # 44/45 by type
    sex = models.PositiveSmallIntegerField(null=True, blank=True)  # equity views
    ethnicity = models.CharField(max_length=2, null=True, blank=True)  # noqa: DJ001 (as Patient)
    imd_quintile = models.PositiveSmallIntegerField(null=True, blank=True)
    age_at_start = models.PositiveSmallIntegerField("age at S", null=True, blank=True)
    diagnosis_quarter = models.PositiveSmallIntegerField(null=True, blank=True)  # 2, dx in P
    leaving_quarter = models.PositiveSmallIntegerField(null=True, blank=True)  # 9
    leaving_reason = models.PositiveSmallIntegerField(null=True, blank=True)  # 9
    current_smoker = models.BooleanField(default=False)  # 36 companion: most recent status 2
    admissions_by_quarter = ArrayField(
        models.PositiveSmallIntegerField(), size=4, default=list, blank=True
    )  # 46 by quarter of start (a start before S counts in Q1)
    dka_admissions_by_quarter = ArrayField(
        models.PositiveSmallIntegerField(), size=4, default=list, blank=True
    )  # 47
    admissions_near_diagnosis = models.PositiveSmallIntegerField(default=0)  # start <= dx + 90
    dka_admissions_near_diagnosis = models.PositiveSmallIntegerField(default=0)
    # The 2026 dataset's descriptive figures (kpis.md §7 and §7.1), per child of P1: the
    # patient-level answers, the most recent immunotherapy answer across all the child's rows
    # with the latest start date, the most recent psychological support outcome in P, and the
    # first pH and bicarbonate of each qualifying DKA admission (KPI 47).
    adhd_asd_status = models.PositiveSmallIntegerField(null=True, blank=True)
    learning_disability_status = models.PositiveSmallIntegerField(null=True, blank=True)
    immunotherapy_received = models.PositiveSmallIntegerField(null=True, blank=True)
    immunotherapy_date = models.DateField(null=True, blank=True)
    psychological_support_outcome = models.PositiveSmallIntegerField(null=True, blank=True)
    dka_first_ph = ArrayField(models.FloatField(), default=list, blank=True)
    dka_first_bicarbonate = ArrayField(models.FloatField(), default=list, blank=True)

    class Meta:
        verbose_name = "KPI"
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "audit_period"], name="kpi_one_per_child_period"
            ),
            models.CheckConstraint(
                condition=models.Q(health_checks_done__lte=models.F("health_checks_expected")),
                name="kpi_checks_done_within_expected",
            ),
        ]
        indexes = [models.Index(fields=["audit_period", "paediatric_diabetes_unit"])]

    def __str__(self) -> str:
        return f"KPIs of patient {self.patient_id} for {self.audit_period}"


for _measure in MEASURES:
    KPI.add_to_class(
        _measure.field_name,
        models.PositiveSmallIntegerField(
            f"KPI {_measure.number}", choices=KPIState.choices, default=KPIState.INELIGIBLE
        ),
    )


class KPIAggregation(models.Model):
    """Live pooled counts of one measure over the children attributed to one area (kpis.md
    §3.2), as the engine last computed them: the audit team's working view, never public.
    Published figures are releases (`aggregation.models.Release`), frozen and disclosure
    controlled, with the comparisons, funnel limits and outlier classes that belong to a final
    release of an ended period."""

    audit_period = models.ForeignKey(AuditPeriod, on_delete=models.CASCADE, related_name="+")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="+")
    # NULL for a measure the period's dataset does not collect (kpis.md §7.1: 21 from 2026-27).
    passed = models.PositiveIntegerField(null=True, blank=True)
    failed = models.PositiveIntegerField(null=True, blank=True)
    incomplete = models.PositiveIntegerField(null=True, blank=True)
    ineligible = models.PositiveIntegerField(null=True, blank=True)
    denominator = models.PositiveIntegerField(
        null=True, blank=True, help_text="passed + failed + incomplete"
    )
    value = models.FloatField(
        null=True,
        blank=True,
        help_text="passed / denominator; checks done / expected (32.1); the count (1-9); "
        "the mean (44) or median (45) of per-child medians; the admissions (46, 47)",
    )
    computed_at = models.DateTimeField()
    calculation_date = models.DateField(null=True, blank=True, help_text="C, as at")
    # Confidence limits of `value` (benchmarking-methods.md §2): Wilson, t or Byar/exact.
    ci95_low = models.FloatField(null=True, blank=True)
    ci95_high = models.FloatField(null=True, blank=True)
    ci998_low = models.FloatField(null=True, blank=True)
    ci998_high = models.FloatField(null=True, blank=True)
    # 32.1 (kpis.md §3.2): checks done over checks expected, outstanding over incomplete children.
    checks_done = models.PositiveIntegerField(null=True, blank=True)
    checks_expected = models.PositiveIntegerField(null=True, blank=True)
    checks_outstanding = models.PositiveIntegerField(null=True, blank=True)
    # 44 and 45: the per-child medians of the area (all diabetes types; splits in `details`).
    n_contributors = models.PositiveIntegerField(null=True, blank=True)
    n_population = models.PositiveIntegerField(null=True, blank=True, help_text="size of P1")
    mean = models.FloatField(null=True, blank=True)
    sd = models.FloatField("SD", null=True, blank=True)
    median = models.FloatField(null=True, blank=True)
    # 46 and 47: admissions, not children (children with one or more are `passed`).
    events = models.PositiveIntegerField(null=True, blank=True)
    details = models.JSONField(
        default=dict, blank=True, help_text="breakdowns and companion figures"
    )

    AREA_FIELD: str | None = None  # the foreign key naming the area, None for national

    class Meta:
        abstract = True
        ordering = ["audit_period", "measure"]

    def __str__(self) -> str:
        area = getattr(self, f"{self.AREA_FIELD}_id") if self.AREA_FIELD else "England and Wales"
        return f"KPI {self.measure_id} for {area}, {self.audit_period}"

    @classmethod
    def area_column(cls) -> str | None:
        """The database column of the area's foreign key (None for the national level)."""
        return cls._meta.get_field(cls.AREA_FIELD).column if cls.AREA_FIELD else None

    @classmethod
    def constraints_for(cls, area_field: str | None, prefix: str) -> list[models.BaseConstraint]:
        area = [area_field] if area_field else []
        return [
            models.UniqueConstraint(
                fields=[*area, "audit_period", "measure"],
                name=f"{prefix}_agg_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    denominator=models.F("passed") + models.F("failed") + models.F("incomplete")
                ),
                name=f"{prefix}_agg_denominator",
            ),
        ]


class PDUKPIAggregation(KPIAggregation):
    paediatric_diabetes_unit = models.ForeignKey(PaediatricDiabetesUnit, on_delete=models.CASCADE)
    AREA_FIELD = "paediatric_diabetes_unit"

    class Meta(KPIAggregation.Meta):
        verbose_name = "unit KPI aggregation"
        constraints = KPIAggregation.constraints_for("paediatric_diabetes_unit", "pdu")


class TrustKPIAggregation(KPIAggregation):
    trust = models.ForeignKey(Trust, on_delete=models.CASCADE)
    AREA_FIELD = "trust"

    class Meta(KPIAggregation.Meta):
        verbose_name = "trust KPI aggregation"
        constraints = KPIAggregation.constraints_for("trust", "trust")


class LocalHealthBoardKPIAggregation(KPIAggregation):
    local_health_board = models.ForeignKey(LocalHealthBoard, on_delete=models.CASCADE)
    AREA_FIELD = "local_health_board"

    class Meta(KPIAggregation.Meta):
        verbose_name = "local health board KPI aggregation"
        constraints = KPIAggregation.constraints_for("local_health_board", "lhb")


class IntegratedCareBoardKPIAggregation(KPIAggregation):
    integrated_care_board = models.ForeignKey(IntegratedCareBoard, on_delete=models.CASCADE)
    AREA_FIELD = "integrated_care_board"

    class Meta(KPIAggregation.Meta):
        verbose_name = "ICB KPI aggregation"
        constraints = KPIAggregation.constraints_for("integrated_care_board", "icb")


class NHSEnglandRegionKPIAggregation(KPIAggregation):
    nhs_england_region = models.ForeignKey(NHSEnglandRegion, on_delete=models.CASCADE)
    AREA_FIELD = "nhs_england_region"

    class Meta(KPIAggregation.Meta):
        verbose_name = "NHS England region KPI aggregation"
        constraints = KPIAggregation.constraints_for("nhs_england_region", "region")


class CountryKPIAggregation(KPIAggregation):
    country = models.ForeignKey(Country, on_delete=models.CASCADE)
    AREA_FIELD = "country"

    class Meta(KPIAggregation.Meta):
        verbose_name = "country KPI aggregation"
        constraints = KPIAggregation.constraints_for("country", "country")


class PaediatricDiabetesNetworkKPIAggregation(KPIAggregation):
    paediatric_diabetes_network = models.ForeignKey(
        PaediatricDiabetesNetwork, on_delete=models.CASCADE
    )
    AREA_FIELD = "paediatric_diabetes_network"

    class Meta(KPIAggregation.Meta):
        verbose_name = "diabetes network KPI aggregation"
        constraints = KPIAggregation.constraints_for("paediatric_diabetes_network", "pdn")


class OpenUKNetworkKPIAggregation(KPIAggregation):
    openuk_network = models.ForeignKey(OpenUKNetwork, on_delete=models.CASCADE)
    AREA_FIELD = "openuk_network"

    class Meta(KPIAggregation.Meta):
        verbose_name = "OPEN UK network KPI aggregation"
        constraints = KPIAggregation.constraints_for("openuk_network", "openuk")


class NationalKPIAggregation(KPIAggregation):
    """England and Wales."""

    class Meta(KPIAggregation.Meta):
        verbose_name = "national KPI aggregation"
        constraints = KPIAggregation.constraints_for(None, "national")


KPI_AGGREGATION_MODELS: tuple[type[KPIAggregation], ...] = (
    PDUKPIAggregation,
    TrustKPIAggregation,
    LocalHealthBoardKPIAggregation,
    IntegratedCareBoardKPIAggregation,
    NHSEnglandRegionKPIAggregation,
    CountryKPIAggregation,
    PaediatricDiabetesNetworkKPIAggregation,
    OpenUKNetworkKPIAggregation,
    NationalKPIAggregation,
)
