"""Admin for every model. Geometries are read-only: shown as a summary and an SVG outline
(no web map widget, which would need tiles and scripts from the internet)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.gis.db import models as gis_models
from django.contrib.gis.geos import GEOSGeometry
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from npda.accounts.access_rules import (
    SUPERUSER_FIELDS,
    AuditTeamOnlyAdmin,
    PatientAuditMixin,
    ScopedChoicesAdmin,
    UnitScopedAdmin,
    check_account_change,
)
from npda.accounts.activity import record_activity
from npda.accounts.forms import NPDAUserChangeForm, NPDAUserCreationForm
from npda.audit_team.frozen_years import PatientYears, SiteYears, SubmissionYears, VisitYears
from npda.data_model import models as m
from npda.data_model.scope import (
    grantable_groups,
    manageable_users,
    manages_users,
    sees_all_units,
    visible_users,
)

SVG_SIZE = 220


def geometry_summary(geometry: GEOSGeometry | None) -> str:
    if geometry is None:
        return "—"
    if geometry.geom_type == "Point":
        return f"Point {geometry.y:.5f}, {geometry.x:.5f} (lat, long; EPSG:{geometry.srid})"
    area = f", area {geometry.area / 1e6:,.0f} km²" if geometry.srid == 27700 else ""
    return (
        f"{geometry.geom_type} of {geometry.num_geom} part(s), {geometry.num_coords:,} vertices, "
        f"EPSG:{geometry.srid}{area}, {'valid' if geometry.valid else 'INVALID'}"
    )


def geometry_svg(geometry: GEOSGeometry | None) -> str:
    """A small outline drawing of a polygon geometry."""
    if geometry is None or geometry.geom_type not in {"Polygon", "MultiPolygon"}:
        return ""
    xmin, ymin, xmax, ymax = geometry.extent
    scale = SVG_SIZE / max(xmax - xmin, ymax - ymin, 1e-9)
    simple = geometry.simplify(1 / scale, preserve_topology=True)
    polygons = [simple] if simple.geom_type == "Polygon" else list(simple)
    paths = []
    for polygon in polygons:
        for ring in polygon:
            points = " ".join(
                f"{(x - xmin) * scale:.1f},{(ymax - y) * scale:.1f}" for x, y in ring.coords
            )
            paths.append(f'<polygon points="{points}"/>')
    return mark_safe(  # numbers only
        f'<svg width="{SVG_SIZE}" height="{SVG_SIZE}" role="img" aria-label="outline">'
        f'<g fill="#cfe0f7" stroke="#3366cc" stroke-width="1">{"".join(paths)}</g></svg>'
    )


class CodeKeyedAdmin(admin.ModelAdmin):
    """Reference rows are keyed by official codes: a code is never edited, only added."""

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not self.model._meta.pk.auto_created:
            fields.append(self.model._meta.pk.name)
        return fields


class ReadOnlyGeometryAdmin(CodeKeyedAdmin):
    """Excludes geometry fields from forms and shows each as a read-only summary + outline."""

    def get_geometry_fields(self) -> list[str]:
        return [f.name for f in self.model._meta.fields if isinstance(f, gis_models.GeometryField)]

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or []), *self.get_geometry_fields()]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "geometries"]

    @admin.display(description="Geometry (read-only)")
    def geometries(self, obj) -> str:
        parts = []
        for name in self.get_geometry_fields():
            geometry = getattr(obj, name)
            parts.append(
                format_html(
                    "<p><strong>{}</strong>: {}</p>{}",
                    name.replace("_", " "),
                    geometry_summary(geometry),
                    geometry_svg(geometry),
                )
            )
        return mark_safe("".join(parts))  # each part escaped by format_html


@admin.register(m.Country, m.NHSEnglandRegion, m.IntegratedCareBoard, m.LocalHealthBoard)
class BoundaryAreaAdmin(ReadOnlyGeometryAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(m.PaediatricDiabetesNetwork, m.OpenUKNetwork)
class NetworkAdmin(CodeKeyedAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(m.Trust)
class TrustAdmin(CodeKeyedAdmin):
    list_display = ("ods_code", "name", "primary_integrated_care_board", "country")
    search_fields = ("ods_code", "name")
    list_filter = ("country",)


@admin.register(m.Organisation)
class OrganisationAdmin(ReadOnlyGeometryAdmin):
    list_display = ("ods_code", "name", "trust", "local_health_board", "integrated_care_board")
    search_fields = ("ods_code", "name", "postcode")
    list_filter = ("country", "nhs_england_region")
    list_select_related = ("trust", "local_health_board", "integrated_care_board")


@admin.register(m.PaediatricDiabetesUnit)
class PaediatricDiabetesUnitAdmin(ReadOnlyGeometryAdmin):
    list_display = (
        "pz_code",
        "name",
        "lead_ods_code",
        "integrated_care_board",
        "local_health_board",
        "paediatric_diabetes_network",
        "is_active",
    )
    search_fields = ("pz_code", "name", "lead_ods_code")
    list_filter = ("country", "nhs_england_region", "paediatric_diabetes_network", "is_active")
    list_select_related = (
        "integrated_care_board",
        "local_health_board",
        "paediatric_diabetes_network",
    )


@admin.register(m.BoundaryLayer)
class BoundaryLayerAdmin(admin.ModelAdmin):
    list_display = ("level", "feature_count", "size_bytes", "produced_at")
    exclude = ("geojson", "geojson_gzip")
    readonly_fields = ("level", "feature_count", "size_bytes", "fingerprint", "produced_at")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(m.ReferenceDataLoad)
class ReferenceDataLoadAdmin(admin.ModelAdmin):
    list_display = ("loaded_at", "source", "duration_seconds")
    readonly_fields = ("source", "fingerprint", "loaded_at", "duration_seconds", "counts")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(m.AuditPeriod)
class AuditPeriodAdmin(admin.ModelAdmin):
    list_display = ("slug", "start_date", "end_date", "is_open", "is_visible")


@admin.register(m.Patient)
class PatientAdmin(PatientYears, PatientAuditMixin, UnitScopedAdmin, ReadOnlyGeometryAdmin):
    list_display = ("pk", "diabetes_type", "is_valid")
    list_filter = ("diabetes_type", "is_valid", "dataset_year")

    def has_add_permission(self, request) -> bool:
        # A child added here would belong to no unit, so no unit's staff could see it again:
        # units add children by upload (or the web forms); the audit team may add one here.
        return sees_all_units(request.user) and super().has_add_permission(request)


@admin.register(m.Site)
class SiteAdmin(SiteYears, PatientAuditMixin, UnitScopedAdmin):
    list_display = ("patient", "paediatric_diabetes_unit", "date_leaving_service", "is_active")
    list_filter = ("is_active",)
    raw_id_fields = ("patient",)


@admin.register(m.Submission)
class SubmissionAdmin(SubmissionYears, UnitScopedAdmin):
    list_display = (
        "paediatric_diabetes_unit",
        "audit_period",
        "submitted_at",
        "is_active",
        "patient_count",
        "visit_count",
        "error_count",
    )
    list_filter = ("audit_period", "is_active")
    raw_id_fields = ("patients",)


@admin.register(m.Visit)
class VisitAdmin(VisitYears, PatientAuditMixin, UnitScopedAdmin):
    list_display = ("pk", "patient", "visit_date", "is_valid")
    list_filter = ("is_valid",)
    raw_id_fields = ("patient", "submission")


class HistoryAdmin(UnitScopedAdmin):
    """Records of what happened (versions' events, sign-offs, packed records): written by the
    submission services alone, read here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.SubmissionEvent)
class SubmissionEventAdmin(HistoryAdmin):
    list_display = ("submission", "action", "at", "by", "reason")
    list_filter = ("action",)


@admin.register(m.SignOff)
class SignOffAdmin(HistoryAdmin):
    list_display = ("paediatric_diabetes_unit", "audit_period", "signed_by", "signed_at",
                    "reopened_at", "reopened_by")  # fmt: skip
    list_filter = ("audit_period",)


@admin.register(m.SubmissionRecords)
class SubmissionRecordsAdmin(HistoryAdmin):
    list_display = ("submission",)
    exclude = ("packed",)  # gzip JSON: the version's page and its error report show it


class ComputedResultAdmin(admin.ModelAdmin):
    """KPI tables are written only by the aggregation jobs."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.AuditProgress)
class AuditProgressAdmin(UnitScopedAdmin, ComputedResultAdmin):
    list_display = ("patient", "audit_period", "completed_fields", "expected_fields")


@admin.register(m.KPI)
class KPIAdmin(UnitScopedAdmin, ComputedResultAdmin):
    list_display = ("patient", "audit_period", "paediatric_diabetes_unit", "calculation_date")
    list_filter = ("audit_period",)


@admin.register(m.Measure)
class MeasureAdmin(ComputedResultAdmin):
    list_display = ("number", "name", "kind", "polarity", "group", "population")
    list_filter = ("group", "kind")


for _model in m.KPI_AGGREGATION_MODELS:
    _area = [_model.AREA_FIELD] if _model.AREA_FIELD else []
    # A unit's live results are its staff's too; every other level is the audit team's.
    _scope = (
        UnitScopedAdmin if _model.AREA_FIELD == "paediatric_diabetes_unit" else (AuditTeamOnlyAdmin)
    )
    admin.site.register(
        _model,
        type(
            f"{_model.__name__}Admin",
            (_scope, ComputedResultAdmin),
            {
                "list_display": (
                    *_area,
                    "audit_period",
                    "measure",
                    "passed",
                    "failed",
                    "incomplete",
                    "denominator",
                    "value",
                    "ci95_low",
                    "ci95_high",
                ),
                "list_filter": ("audit_period", "measure"),
                "list_select_related": ("measure", "audit_period"),
            },
        ),
    )


@admin.register(m.VisitActivity)
class VisitActivityAdmin(admin.ModelAdmin):
    """The audit trail is append-only: nobody adds, edits or deletes it here."""

    list_display = ("timestamp", "user", "activity", "success", "detail", "ip_address")
    list_filter = ("activity", "success", "timestamp")
    search_fields = ("user__email", "ip_address", "detail")
    readonly_fields = ("user", "activity", "success", "detail", "ip_address", "user_agent",
                       "timestamp")  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.NPDAUser)
class NPDAUserAdmin(ScopedChoicesAdmin, UserAdmin):
    form = NPDAUserChangeForm
    add_form = NPDAUserCreationForm
    ordering = ("email",)
    list_display = ("email", "first_name", "surname", "role", "is_rcpch_staff", "is_active")
    list_filter = ("is_rcpch_staff", "is_staff", "is_active", "groups")
    search_fields = ("email", "first_name", "surname")
    filter_horizontal = ("groups", "user_permissions", "organisation_employers")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("title", "first_name", "surname", "role")}),
        ("Units", {"fields": ("organisation_employers",)}),
        (
            "Access",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "is_rcpch_staff",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    # The accounts of the actor's units are listed; only those no higher than the actor, in
    # role and units, can be changed, have their password set or be deleted (access_rules).
    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=visible_users(request.user))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else [*fields, *SUPERUSER_FIELDS]

    def has_module_permission(self, request) -> bool:
        return super().has_module_permission(request) or manages_users(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) or manages_users(request.user)

    def has_add_permission(self, request) -> bool:
        # The add form asks only for an email, so the account starts without units: only the
        # audit team may then reach it. A unit's lead invites from their account pages.
        return sees_all_units(request.user) and (
            super().has_add_permission(request) or manages_users(request.user)
        )

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and not self._manageable(request, obj):
            return False
        return super().has_change_permission(request, obj) or manages_users(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and (obj == request.user or not self._manageable(request, obj)):
            return False
        return super().has_delete_permission(request, obj)

    @staticmethod
    def _manageable(request, obj) -> bool:
        return manageable_users(request.user).filter(pk=obj.pk).exists()

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = grantable_groups(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        groups = form.cleaned_data.get("groups", form.instance.groups.all())
        units = form.cleaned_data.get(
            "organisation_employers", form.instance.organisation_employers.all()
        )
        check_account_change(request.user, form.instance, list(groups), list(units))
        super().save_related(request, form, formsets, change)
        record_activity(request, m.ActivityType.USER_CHANGED, user=request.user, success=True,
                        detail=f"user {form.instance.pk} ({form.instance.email})")  # fmt: skip
