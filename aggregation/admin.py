from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import (
    DisclosurePolicy,
    KPIRun,
    OutlierPolicy,
    OutlierProcessStep,
    RecomputeRequest,
    Release,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written only by the KPI jobs; the admin shows them."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class PermanentRecordAdmin(ReadOnlyAdmin):
    """Records that are never deleted either: what was published, and under which policy."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(KPIRun)
class KPIRunAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at",
        "audit_period",
        "trigger",
        "scope",
        "status",
        "duration_seconds",
        "children_scored",
        "rows_written",
    )
    list_filter = ("status", "trigger", "audit_period")
    readonly_fields = [f.name for f in KPIRun._meta.fields]

    @admin.display(description="units")
    def scope(self, run: KPIRun) -> str:
        return ", ".join(run.pdu_codes) if run.pdu_codes else "all"


@admin.register(RecomputeRequest)
class RecomputeRequestAdmin(ReadOnlyAdmin):
    list_display = (
        "requested_at",
        "paediatric_diabetes_unit",
        "audit_period",
        "reason",
        "status",
        "attempts",
        "run",
    )
    list_filter = ("status", "audit_period")
    readonly_fields = [f.name for f in RecomputeRequest._meta.fields]


@admin.register(OutlierPolicy)
class OutlierPolicyAdmin(admin.ModelAdmin):
    """Set by the audit team for each year; used the next time a release is published."""

    list_display = (
        "audit_period",
        "measure",
        "method",
        "overdispersion",
        "alert_lower",
        "alarm_lower",
        "alert_upper",
        "alarm_upper",
        "is_formal",
    )
    list_filter = ("audit_period", "method", "is_formal")


@admin.register(Release)
class ReleaseAdmin(PermanentRecordAdmin):
    """Made by publish_aggregates and never deleted; the audit team downloads the log here."""

    list_display = (
        "id",
        "audit_period",
        "kind",
        "calculation_date",
        "disclosure_policy",
        "rows",
        "created_at",
        "superseded_by",
        "suppression_log",
        "outliers",
    )
    list_filter = ("kind", "audit_period")
    readonly_fields = [f.name for f in Release._meta.fields]

    @admin.display(description="suppression log")
    def suppression_log(self, release: Release) -> str:
        url = reverse("suppression-log", args=[release.pk])
        return format_html('<a href="{}">CSV</a>', url)

    @admin.display(description="outliers")
    def outliers(self, release: Release) -> str:
        if release.kind != Release.Kind.FINAL:
            return "–"
        return format_html('<a href="{}">outliers</a>', reverse("outliers", args=[release.pk]))


@admin.register(DisclosurePolicy)
class DisclosurePolicyAdmin(PermanentRecordAdmin):
    """Versions are seeded from constants.disclosure; a stored version never changes."""

    list_display = ("label", "effective_from", "small_count_max", "rounding_base")
    readonly_fields = [f.name for f in DisclosurePolicy._meta.fields]


@admin.register(OutlierProcessStep)
class OutlierProcessStepAdmin(PermanentRecordAdmin):
    """The outlier process record, appended from each release's outliers page."""

    list_display = ("release", "unit", "measure", "step", "taken_on", "recorded_by", "recorded_at")
    list_filter = ("step", "measure", "release")
    readonly_fields = [f.name for f in OutlierProcessStep._meta.fields]
