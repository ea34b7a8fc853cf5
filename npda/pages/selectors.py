"""Read-only queries of the public pages: reference data only (patient data is never read here)."""

import re
import unicodedata
from dataclasses import dataclass

from django.db import connection
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


# Search ------------------------------------------------------------------------------------------

SEARCH_LEVELS = ("pdu", "trust", "lhb", "icb", "region", "network", "country")
MAX_SEARCH_CHARS = 100  # longer is a pasted paragraph, not a name: the rest is ignored
MAX_SEARCH_WORDS = 8
MAX_HITS = 60


@dataclass(frozen=True)
class SearchHit:
    level: str  # a reporting level (constants.levels.Level), "pdu" for a unit
    code: str  # the code its page is found by: PZ, ODS (trusts) or ONS code, network code
    name: str
    other_code: str  # the ODS code of an ICB, region, health board or a unit's lead site
    detail: str  # where it sits: a unit's trust or health board, an ICB's region


def _search_sql() -> str:
    """Every unit and area that has a page, as (level, code, name, other code, other names,
    detail): one UNION ALL over the reference tables, so a search is one query whatever it
    finds. A unit is found by its trust's and lead site's names too ("cambridge" finds
    Addenbrooke's); trusts are those with a unit (only they have results); the two countries
    of the audit."""
    unit, trust = m.PaediatricDiabetesUnit._meta.db_table, m.Trust._meta.db_table
    site, lhb = m.Organisation._meta.db_table, m.LocalHealthBoard._meta.db_table
    icb, region = m.IntegratedCareBoard._meta.db_table, m.NHSEnglandRegion._meta.db_table
    parts = [
        "SELECT 'pdu', u.pz_code, u.name, u.lead_ods_code, "
        "concat_ws(' ', t.name, o.name, b.name), coalesce(t.name, b.name, '') "
        f"FROM {unit} u LEFT JOIN {trust} t ON t.ods_code = u.trust_id "
        f"LEFT JOIN {site} o ON o.ods_code = u.lead_organisation_id "
        f"LEFT JOIN {lhb} b ON b.code = u.local_health_board_id",
        f"SELECT 'trust', ods_code, name, '', '', '' FROM {trust} t "
        f"WHERE EXISTS (SELECT 1 FROM {unit} u WHERE u.trust_id = t.ods_code)",
        f"SELECT 'lhb', code, name, ods_code, name_welsh, 'Wales' FROM {lhb}",
        f"SELECT 'icb', i.code, i.name, i.ods_code, i.short_name, r.name FROM {icb} i "
        f"JOIN {region} r ON r.code = i.nhs_england_region_id",
        f"SELECT 'region', code, name, ods_code, '', 'England' FROM {region}",
        "SELECT 'network', code, name, '', '', '' "
        f"FROM {m.PaediatricDiabetesNetwork._meta.db_table}",
        f"SELECT 'country', code, name, '', name_welsh, '' FROM {m.Country._meta.db_table} "
        "WHERE code IN ('E92000001', 'W92000004')",
    ]
    every = " UNION ALL ".join(parts)
    return f"""
        WITH named(level, code, name, other_code, other_name, detail) AS ({every})
        SELECT level, code, name, other_code, detail FROM named
        WHERE {{where}}
        ORDER BY
            (upper(code) = %(exact)s OR upper(other_code) = %(exact)s) DESC,
            (lower(name) LIKE %(prefix)s ESCAPE '\\') DESC,
            array_position(%(levels)s::text[], level), name
        LIMIT {MAX_HITS}"""


def search_words(query: str) -> list[str]:
    """The words searched for: the query normalised (NFKC, lower case), cut to its first
    MAX_SEARCH_CHARS characters and MAX_SEARCH_WORDS words."""
    text = unicodedata.normalize("NFKC", query)[:MAX_SEARCH_CHARS].lower()
    return [w for w in re.split(r"[\s,;]+", text) if w][:MAX_SEARCH_WORDS]


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(query: str) -> list[SearchHit]:
    """Units and areas whose name or code holds every word of the query (anywhere: "cambridge"
    finds Cambridgeshire too), exact codes first, then names that start with the query, then
    by level (units first) and name. One query; nothing for an empty query."""
    words = search_words(query)
    if not words:
        return []
    where, params = [], {}
    for i, word in enumerate(words):
        params[f"w{i}"] = _like(word)
        where.append(
            f"(lower(name) LIKE %(w{i})s ESCAPE '\\' OR lower(code) LIKE %(w{i})s ESCAPE '\\' "
            f"OR lower(other_code) LIKE %(w{i})s ESCAPE '\\' "
            f"OR lower(other_name) LIKE %(w{i})s ESCAPE '\\')"
        )
    phrase = " ".join(words)
    params |= {"exact": phrase.upper(), "prefix": _like(phrase)[1:], "levels": list(SEARCH_LEVELS)}
    with connection.cursor() as cursor:
        cursor.execute(_search_sql().format(where=" AND ".join(where)), params)
        return [SearchHit(*row) for row in cursor.fetchall()]
