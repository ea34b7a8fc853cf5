"""Reference geography: areas with ONS boundaries, organisations and units (geography.md).

Codes are the primary keys (ONS GSS codes for areas, ODS codes for organisations, PZ codes for
units): they are stable, human-readable, and what every export and aggregation groups by.
Boundaries are stored in EPSG:27700 (British National Grid, metres) as ONS supplies them;
points in EPSG:4326 (see docs/adr/0002-spatial-reference-systems.md).
"""

from django.contrib.gis.db import models

from constants.groups import custom_permissions_for
from constants.levels import BoundaryLevel

BOUNDARY_SRID = 27700
POINT_SRID = 4326


class BoundaryArea(models.Model):
    code = models.CharField("ONS code", max_length=9, primary_key=True)
    name = models.CharField(max_length=120)
    boundary = models.MultiPolygonField(srid=BOUNDARY_SRID, null=True, blank=True)
    label_point = models.PointField(
        srid=POINT_SRID, null=True, blank=True, help_text="ONS label point, inside the area"
    )

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Country(BoundaryArea):
    name_welsh = models.CharField(max_length=120, blank=True)

    class Meta(BoundaryArea.Meta):
        verbose_name_plural = "countries"


class NHSEnglandRegion(BoundaryArea):
    ods_code = models.CharField(max_length=3, unique=True)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="regions")

    class Meta(BoundaryArea.Meta):
        verbose_name = "NHS England region"


class IntegratedCareBoard(BoundaryArea):
    short_name = models.CharField(max_length=80)
    ods_code = models.CharField(max_length=3, unique=True)
    nhs_england_region = models.ForeignKey(
        NHSEnglandRegion, on_delete=models.PROTECT, related_name="integrated_care_boards"
    )
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")

    class Meta(BoundaryArea.Meta):
        verbose_name = "integrated care board"


class LocalHealthBoard(BoundaryArea):
    name_welsh = models.CharField(max_length=120, blank=True)
    ods_code = models.CharField(max_length=3, unique=True)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")

    class Meta(BoundaryArea.Meta):
        verbose_name = "local health board"


class PaediatricDiabetesNetwork(models.Model):
    code = models.CharField(max_length=4, primary_key=True)
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class OpenUKNetwork(models.Model):
    code = models.CharField(max_length=8, primary_key=True)
    name = models.CharField(max_length=120)
    country_name = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "OPEN UK network"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Trust(models.Model):
    ods_code = models.CharField("ODS code", max_length=5, primary_key=True)
    name = models.CharField(max_length=160)
    address_line_1 = models.CharField(max_length=120, blank=True)
    address_line_2 = models.CharField(max_length=120, blank=True)
    town = models.CharField(max_length=80, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, null=True, blank=True)
    primary_integrated_care_board = models.ForeignKey(
        IntegratedCareBoard, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    nhs_england_region = models.ForeignKey(
        NHSEnglandRegion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    openuk_network = models.ForeignKey(
        OpenUKNetwork, on_delete=models.PROTECT, null=True, blank=True, related_name="trusts"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.ods_code})"


class Organisation(models.Model):
    """An ODS site (usually a hospital). Welsh sites have a health board as their parent."""

    ods_code = models.CharField("ODS code", max_length=8, primary_key=True)
    name = models.CharField(max_length=160)
    address1 = models.CharField(max_length=120, blank=True)
    address2 = models.CharField(max_length=120, blank=True)
    address3 = models.CharField(max_length=120, blank=True)
    city = models.CharField(max_length=80, blank=True)
    county = models.CharField(max_length=80, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    point = models.PointField(srid=POINT_SRID, null=True, blank=True)
    trust = models.ForeignKey(
        Trust, on_delete=models.PROTECT, null=True, blank=True, related_name="organisations"
    )
    local_health_board = models.ForeignKey(
        LocalHealthBoard,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        help_text="Welsh sites: the health board that runs and contains the site",
    )
    integrated_care_board = models.ForeignKey(
        IntegratedCareBoard, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    nhs_england_region = models.ForeignKey(
        NHSEnglandRegion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    openuk_network = models.ForeignKey(
        OpenUKNetwork, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.ods_code})"


class LeadOrganisationLevel(models.TextChoices):
    SITE = "site", "Site in the organisation list"
    SITE_NOT_IN_LIST = "site_not_in_rcpch_list", "Site missing from the organisation list"
    TRUST = "trust", "Trust-level code"
    LOCAL_HEALTH_BOARD = "local_health_board", "Health-board-level code"


class PaediatricDiabetesUnit(models.Model):
    """A PDU (PZ code). Its stored geography is the attribution used for every level above it."""

    pz_code = models.CharField("PZ code", max_length=5, primary_key=True)
    name = models.CharField(max_length=160)
    lead_ods_code = models.CharField("lead organisation ODS code", max_length=8)
    lead_level = models.CharField(max_length=24, choices=LeadOrganisationLevel.choices)
    lead_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="paediatric_diabetes_units",
        help_text="Set when the lead code is a site in the organisation list",
    )
    trust = models.ForeignKey(
        Trust, on_delete=models.PROTECT, null=True, blank=True, related_name="units"
    )
    local_health_board = models.ForeignKey(
        LocalHealthBoard, on_delete=models.PROTECT, null=True, blank=True, related_name="units"
    )
    integrated_care_board = models.ForeignKey(
        IntegratedCareBoard, on_delete=models.PROTECT, null=True, blank=True, related_name="units"
    )
    nhs_england_region = models.ForeignKey(
        NHSEnglandRegion, on_delete=models.PROTECT, null=True, blank=True, related_name="units"
    )
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True, related_name="units"
    )
    paediatric_diabetes_network = models.ForeignKey(
        PaediatricDiabetesNetwork,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
    )
    point = models.PointField(srid=POINT_SRID, null=True, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    geography_method = models.CharField(max_length=80, blank=True)
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["pz_code"]
        verbose_name = "paediatric diabetes unit"
        permissions = custom_permissions_for("paediatricdiabetesunit")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pz_code__regex=r"^PZ[0-9]{3}$"), name="pdu_pz_code_format"
            ),
            # A unit is either English (ICB + region) or Welsh (LHB), never both.
            models.CheckConstraint(
                condition=models.Q(local_health_board__isnull=True)
                | models.Q(integrated_care_board__isnull=True),
                name="pdu_icb_or_lhb_not_both",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pz_code} {self.name}"


class BoundaryLayer(models.Model):
    """Web-ready GeoJSON of one boundary level, produced once per reference-data load."""

    level = models.CharField(max_length=10, choices=BoundaryLevel.choices, primary_key=True)
    geojson = models.TextField(help_text="FeatureCollection, EPSG:4326, properties code and name")
    geojson_gzip = models.BinaryField()
    feature_count = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the GeoJSON text")
    recipe = models.CharField(max_length=80, default="", help_text="how the layer was made")
    produced_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.get_level_display()} ({self.feature_count} areas, {self.size_bytes} bytes)"


class ReferenceDataLoad(models.Model):
    """One successful run of load_reference_data (failed runs leave no row)."""

    source = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 over the source files")
    loaded_at = models.DateTimeField(auto_now_add=True)
    duration_seconds = models.FloatField()
    counts = models.JSONField(help_text="rows per table after the load")

    class Meta:
        ordering = ["-loaded_at"]
        get_latest_by = "loaded_at"

    def __str__(self) -> str:
        return f"{self.loaded_at:%Y-%m-%d %H:%M} from {self.source}"
