"""Load the reference data into the database: one transaction, upsert by code.

Services here write; reading and checking the files is in boundaries.sources.
"""

import gzip
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import shapely
from django.db import connection, models, transaction
from django.utils import timezone

from boundaries import sources
from boundaries.sources import Area, Problem, ReferenceData, ReferenceDataError
from boundaries.web_shapes import RECIPE, AreaShape, dumps, web_feature_collection
from constants.levels import BoundaryLevel
from npda.data_model import models as m

logger = logging.getLogger(__name__)
AUDIT_COUNTRIES = ("E92000001", "W92000004")

BOUNDARY_MODELS: dict[BoundaryLevel, type[models.Model]] = {
    BoundaryLevel.COUNTRY: m.Country,
    BoundaryLevel.NHS_ENGLAND_REGION: m.NHSEnglandRegion,
    BoundaryLevel.INTEGRATED_CARE_BOARD: m.IntegratedCareBoard,
    BoundaryLevel.LOCAL_HEALTH_BOARD: m.LocalHealthBoard,
}


@dataclass(frozen=True)
class LoadResult:
    skipped: bool
    seconds: float
    counts: dict[str, int]
    not_in_source: dict[str, int]  # rows already in the database that the source no longer lists
    layer_sizes: dict[str, int]


def default_source() -> Path:
    from django.conf import settings

    return settings.NPDA_REFERENCE_DATA


def load_reference_data(
    source: Path | None = None,
    *,
    skip_unchanged: bool = False,
    progress: Callable[[str], None] = logger.info,
) -> LoadResult:
    """Read, check and upsert all reference data, then rebuild the web boundary layers.

    Raises ReferenceDataError (and changes nothing) if any file is missing or wrong.
    """
    started = time.perf_counter()
    source = Path(source or default_source()).resolve()
    if skip_unchanged:
        last = m.ReferenceDataLoad.objects.order_by("-loaded_at").first()
        if last and last.fingerprint == sources.source_fingerprint(source):
            progress(f"Reference data unchanged since {last.loaded_at:%Y-%m-%d %H:%M}; skipped.")
            layer_sizes = {}
            if m.BoundaryLayer.objects.exclude(recipe=RECIPE).exists():
                progress("Web boundary layers made another way: rebuilding them")
                with transaction.atomic():
                    layer_sizes = _build_web_layers(progress)
            return LoadResult(True, time.perf_counter() - started, last.counts, {}, layer_sizes)

    progress(f"Reading and checking {source}")
    data = sources.parse_reference_data(source)
    with transaction.atomic():
        not_in_source = _upsert_all(data, progress)
        _check_stored_boundaries()
        layer_sizes = _build_web_layers(progress)
        counts = _table_counts()
        seconds = time.perf_counter() - started
        m.ReferenceDataLoad.objects.create(
            source=str(source),
            fingerprint=data.fingerprint,
            duration_seconds=seconds,
            counts=counts,
        )
    return LoadResult(False, seconds, counts, not_in_source, layer_sizes)


def _check_lengths(model: type[models.Model], rows: list[dict], file: str) -> None:
    """Text longer than its column would fail inside the transaction with a bare database
    error; report it with its file and row instead."""
    limits = {
        f.attname: f.max_length
        for f in model._meta.fields
        if isinstance(f, models.CharField) and f.max_length
    }
    problems = [
        Problem(file, row["_row"], f"{name} is {len(value)} characters, more than {limit}")
        for row in rows
        for name, limit in limits.items()
        if isinstance(value := row.get(name), str) and len(value) > limit
    ]
    if problems:
        raise ReferenceDataError(problems)


def _upsert(model: type[models.Model], rows: list[dict], file: str) -> int:
    """Insert or update rows by primary key; returns how many stored rows the source omits."""
    _check_lengths(model, rows, file)
    rows = [{k: v for k, v in row.items() if k != "_row"} for row in rows]
    pk = model._meta.pk.name
    fields = [f for f in rows[0] if f != pk]
    model.objects.bulk_create(
        [model(**row) for row in rows],
        update_conflicts=True,
        unique_fields=[pk],
        update_fields=fields,
        batch_size=500,
    )
    return model.objects.exclude(pk__in=[row[pk] for row in rows]).count()


def _area_rows(areas: list[Area], parents: dict[str, str]) -> list[dict]:
    rows = []
    for area in areas:
        row = {
            "_row": area.row,
            "code": area.code,
            "name": area.name,
            "boundary": area.boundary,
            "label_point": area.label_point,
        }
        for source_field, model_field in parents.items():
            row[model_field] = area.fields[source_field] or None
        rows.append(row)
    return rows


def _upsert_all(data: ReferenceData, progress: Callable[[str], None]) -> dict[str, int]:
    steps: list[tuple[type[models.Model], list[dict], str]] = [
        (
            m.Country,
            _area_rows(data.countries, {"name_welsh": "name_welsh"}),
            sources.COUNTRIES_CSV,
        ),
        (
            m.NHSEnglandRegion,
            _area_rows(data.regions, {"ods_code": "ods_code", "country_code": "country_id"}),
            sources.REGIONS_CSV,
        ),
        (
            m.IntegratedCareBoard,
            _area_rows(
                data.icbs,
                {
                    "short_name": "short_name",
                    "ods_code": "ods_code",
                    "nhser_code": "nhs_england_region_id",
                    "country_code": "country_id",
                },
            ),
            sources.ICBS_CSV,
        ),
        (
            m.LocalHealthBoard,
            _area_rows(
                data.lhbs,
                {"name_welsh": "name_welsh", "ods_code": "ods_code", "country_code": "country_id"},
            ),
            sources.LHBS_CSV,
        ),
        (m.PaediatricDiabetesNetwork, data.networks, sources.NETWORKS_CSV),
        (m.OpenUKNetwork, data.openuk_networks, sources.OPENUK_CSV),
        (m.Trust, data.trusts, sources.TRUSTS_CSV),
        (m.Organisation, data.organisations, sources.ORGANISATIONS_CSV),
        (m.PaediatricDiabetesUnit, data.units, sources.UNITS_CSV),
    ]
    not_in_source = {}
    for model, rows, file in steps:
        stale = _upsert(model, rows, file)
        not_in_source[model._meta.verbose_name_plural] = stale
        progress(
            f"  {model._meta.verbose_name_plural}: {len(rows)} loaded"
            + (f", {stale} older rows not in the source left unchanged" if stale else "")
        )
    return not_in_source


def _check_stored_boundaries() -> None:
    """Reprojection to EPSG:27700 happens in PostGIS; make sure every stored shape is valid."""
    problems = []
    for level, model in BOUNDARY_MODELS.items():
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT code, ST_IsValidReason(boundary) FROM {table} "
                "WHERE boundary IS NOT NULL AND NOT ST_IsValid(boundary)"
            )
            for code, reason in cursor.fetchall():
                problems.append(
                    Problem(
                        sources.BOUNDARY_FILES[level],
                        f"feature {code}",
                        f"geometry invalid after reprojection to EPSG:27700: {reason}",
                    )
                )
    if problems:
        raise ReferenceDataError(problems)


def _build_web_layers(progress: Callable[[str], None]) -> dict[str, int]:
    sizes = {}
    now = timezone.now()
    for level, model in BOUNDARY_MODELS.items():
        shapes = model.objects.filter(boundary__isnull=False)
        if model is m.Country:  # the audit covers England and Wales only
            shapes = shapes.filter(code__in=AUDIT_COUNTRIES)
        areas = [
            AreaShape(code, name, shapely.from_wkb(bytes(boundary.wkb)))
            for code, name, boundary in shapes.order_by("code").values_list(
                "code", "name", "boundary"
            )
        ]
        text = dumps(web_feature_collection(areas))
        encoded = text.encode()
        m.BoundaryLayer.objects.update_or_create(
            level=level,
            defaults={
                "geojson": text,
                "geojson_gzip": gzip.compress(encoded, mtime=0),
                "feature_count": len(areas),
                "size_bytes": len(encoded),
                "fingerprint": hashlib.sha256(encoded).hexdigest(),
                "recipe": RECIPE,
                "produced_at": now,
            },
        )
        sizes[level.value] = len(encoded)
        progress(f"  web layer {level.label}: {len(areas)} areas, {len(encoded) / 1024:.0f} KB")
    return sizes


def _table_counts() -> dict[str, int]:
    tables = (
        *BOUNDARY_MODELS.values(),
        m.PaediatricDiabetesNetwork,
        m.OpenUKNetwork,
        m.Trust,
        m.Organisation,
        m.PaediatricDiabetesUnit,
    )
    return {model._meta.model_name: model.objects.count() for model in tables}
