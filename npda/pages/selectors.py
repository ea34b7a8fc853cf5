"""Read-only queries of the public pages: reference data only (patient data is never read here)."""

from dataclasses import dataclass

from django.db.models import Count, Q

from npda.data_model import models as m


@dataclass(frozen=True)
class LevelCount:
    label: str
    count: int
    detail: str
    admin_model: str  # "app_label/modelname" for a link to the admin list


def reference_level_counts() -> list[LevelCount]:
    """One row per organisational/geographic level, with how many of each are loaded."""
    units = m.PaediatricDiabetesUnit.objects.aggregate(
        total=Count("pk"),
        england=Count("pk", filter=Q(country_id="E92000001")),
        wales=Count("pk", filter=Q(country_id="W92000004")),
        other=Count("pk", filter=Q(country__isnull=True)),
    )
    with_shape = {
        model: model.objects.filter(boundary__isnull=False).count()
        for model in (m.Country, m.NHSEnglandRegion, m.IntegratedCareBoard, m.LocalHealthBoard)
    }
    return [
        LevelCount(
            "Countries",
            m.Country.objects.count(),
            f"{with_shape[m.Country]} with boundaries",
            "npda/country",
        ),
        LevelCount(
            "NHS England regions",
            m.NHSEnglandRegion.objects.count(),
            f"{with_shape[m.NHSEnglandRegion]} with boundaries",
            "npda/nhsenglandregion",
        ),
        LevelCount(
            "Integrated Care Boards",
            m.IntegratedCareBoard.objects.count(),
            f"{with_shape[m.IntegratedCareBoard]} with boundaries",
            "npda/integratedcareboard",
        ),
        LevelCount(
            "Local Health Boards (Wales)",
            m.LocalHealthBoard.objects.count(),
            f"{with_shape[m.LocalHealthBoard]} with boundaries",
            "npda/localhealthboard",
        ),
        LevelCount("NHS trusts", m.Trust.objects.count(), "", "npda/trust"),
        LevelCount(
            "Organisations (sites)",
            m.Organisation.objects.count(),
            f"{m.Organisation.objects.filter(point__isnull=False).count()} with a location",
            "npda/organisation",
        ),
        LevelCount(
            "Paediatric Diabetes Units",
            units["total"],
            f"{units['england']} England, {units['wales']} Wales, {units['other']} other (Jersey)",
            "npda/paediatricdiabetesunit",
        ),
        LevelCount(
            "Paediatric diabetes networks",
            m.PaediatricDiabetesNetwork.objects.count(),
            "",
            "npda/paediatricdiabetesnetwork",
        ),
        LevelCount("OPEN UK networks", m.OpenUKNetwork.objects.count(), "", "npda/openuknetwork"),
    ]


def boundary_layers() -> list[m.BoundaryLayer]:
    return list(m.BoundaryLayer.objects.defer("geojson", "geojson_gzip").order_by("level"))


def latest_reference_load() -> m.ReferenceDataLoad | None:
    return m.ReferenceDataLoad.objects.order_by("-loaded_at").first()
