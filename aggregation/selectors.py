"""Read-only queries over the KPI results: the one read API behind every page, Dash callback,
export and API view (nothing else reads the aggregate tables).

Published results come from releases (`ReleaseAggregate`, one long table: disclosure controlled,
frozen, each row carrying its release id). The audit team's live results come from the nine
per-level tables, read by dispatch to the level's table (`rollup.LEVELS`) and only for users
whose role allows them. See docs/adr/0007-releases-and-read-api.md.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

import numpy as np
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Max

from constants import disclosure as sdc
from constants.breakdowns import BREAKDOWNS_BY_KEY, CASE_MIX_MEASURE
from constants.kpis import DEFINITIONS, MEASURES, MEASURES_BY_NUMBER, POPULATIONS, Polarity
from constants.levels import Level
from constants.numbers import whole_number
from npda.data_model import models as m
from npda.data_model.models import AuditPeriod, Submission

from .areas import NATIONAL_AREA, Area, areas_of_unit, current_areas, within
from .figures import LIMITS, figures, value_unit
from .measures import RULES
from .models import FORMAL_OUTLIER_MEASURES, KPIRun, Release, ReleaseArea, ReleaseMeasure
from .peers import FEATURE_SOURCES, PEER_COUNT, nearest_peers, unit_features
from .rollup import LEVELS, NATIONAL_CODE
from .statistics import compare_three_levels

LEVEL_CODES = tuple(Level.values)
LATEST = "latest"


class NotFound(ValueError):
    """An unknown release, level, measure or area: `parameter` names it, `accepted` lists what
    would have been accepted."""

    def __init__(self, parameter: str, value, accepted: list[str], message: str = ""):
        self.parameter, self.value, self.accepted = parameter, value, accepted
        super().__init__(message or f"Unknown {parameter} {value!r}")


# Releases --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseSummary:
    id: int
    period: str  # "2024-2025"
    audit_year: int
    kind: str
    calculation_date: date
    created_at: datetime
    method_version: str
    outlier_policy_version: str
    disclosure_policy: str  # "SDC-1"
    benchmarked: bool
    superseded_by: int | None
    is_current: bool
    notes: str
    rows: int
    suppression_summary: dict

    @property
    def label(self) -> str:
        year = self.audit_year
        name = f"{year}-{str(year + 1)[2:]}"
        if self.kind == Release.Kind.FINAL:
            return f"{name} final"
        return f"{name} provisional, as at {self.calculation_date:%d %b %Y}"


# One query, no ORM: "latest" is resolved on every API request.
RELEASE_SQL = """
    SELECT r.id, p.slug, extract(year FROM p.start_date)::int, r.kind, r.calculation_date,
        r.created_at, r.method_version, r.outlier_policy_version,
        d.policy_id || '-' || d.version, r.benchmarked, r.superseded_by_id,
        r.superseded_at IS NULL, r.notes, r.rows, r.suppression_summary
    FROM aggregation_release r
    JOIN npda_auditperiod p ON p.id = r.audit_period_id
    JOIN aggregation_disclosurepolicy d ON d.id = r.disclosure_policy_id
    WHERE {where}
    ORDER BY p.start_date DESC, r.calculation_date DESC, r.id DESC {limit}"""


def _summaries(where: str = "true", params=(), limit: str = "") -> list[ReleaseSummary]:
    with connection.cursor() as cursor:
        cursor.execute(RELEASE_SQL.format(where=where, limit=limit), params)
        rows = cursor.fetchall()
    # Django's connection hands jsonb over as text (its JSONField decodes it): decode it here.
    return [ReleaseSummary(*row[:-1], json.loads(row[-1])) for row in rows]


def releases(*, current_only: bool = False) -> list[ReleaseSummary]:
    """Every release, newest period and date first."""
    return _summaries("r.superseded_at IS NULL" if current_only else "true")


def latest_final_release() -> ReleaseSummary | None:
    """The current final release of the latest period that has one."""
    found = _summaries("r.kind = 'final' AND r.superseded_at IS NULL", limit="LIMIT 1")
    return found[0] if found else None


def resolve_release(spec: str | int) -> ReleaseSummary:
    """A release by id, or `latest` (the latest final release)."""
    text = str(spec).strip().lower()
    if text == LATEST:
        latest = latest_final_release()
        if latest is None:
            raise NotFound(
                "release", spec, _release_choices()[1:],
                "There is no final release yet: give a release id (see /api/v1/releases).",
            )  # fmt: skip
        return latest
    release_id = whole_number(text)
    if release_id is None:
        raise NotFound(
            "release", spec, _release_choices(), "release must be a release id or 'latest'"
        )
    found = _summaries("r.id = %s", [release_id])
    if not found:
        raise NotFound("release", spec, _release_choices(), f"There is no release {text}.")
    return found[0]


def _release_choices() -> list[str]:
    return [
        LATEST,
        *(str(pk) for pk in Release.objects.order_by("pk").values_list("pk", flat=True)),
    ]


def release_is_up_to_date(
    period: AuditPeriod, kind: str, calculation_date: date, *, under_current_policy: bool = False
) -> bool:
    """Whether a current release of that period, kind and date was made after the period's
    latest upload (so a new one would show the same results); with `under_current_policy`,
    also under the current disclosure control policy (the demo's releases follow it, where a
    published release keeps the policy it was made under)."""
    current = (
        Release.objects.filter(
            audit_period=period, kind=kind, calculation_date=calculation_date,
            superseded_at__isnull=True,
        ).select_related("disclosure_policy").first()
    )  # fmt: skip
    if current is None:
        return False
    if under_current_policy and current.disclosure_policy.label != sdc.CURRENT_POLICY.label:
        return False
    last_upload = Submission.objects.filter(audit_period=period).aggregate(at=Max("submitted_at"))
    return last_upload["at"] is None or current.created_at > last_upload["at"]


# Measures and areas ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureInfo:
    number: str
    name: str
    group: str
    kind: str
    polarity: str
    population: str
    population_definition: str
    definition: str
    unit: str
    formal_outlier_measure: bool
    breakdowns: tuple[str, ...]


def measures() -> list[MeasureInfo]:
    return [
        MeasureInfo(
            number=m_.number,
            name=m_.name,
            group=m_.group.value,
            kind=m_.kind.value,
            polarity=m_.polarity.value,
            population=m_.population,
            population_definition=POPULATIONS[m_.population],
            definition=DEFINITIONS[m_.number],
            unit=value_unit(m_.number),
            formal_outlier_measure=m_.number in FORMAL_OUTLIER_MEASURES,
            breakdowns=tuple(k for k, b in BREAKDOWNS_BY_KEY.items() if m_.number in b.measures),
        )
        for m_ in MEASURES
    ]


FUNNEL_KINDS = ("proportion", "check_proportion", "mean", "events")


def funnel_measures() -> list[MeasureInfo]:
    """The measures a final release draws funnels for: benchmarked proportions, the mean
    HbA1c and the admission rates (not counts, not the median)."""
    return [
        m_ for m_ in measures()
        if m_.polarity != Polarity.CONTEXT and RULES[m_.number].value_kind in FUNNEL_KINDS
    ]  # fmt: skip


def check_level(level: str) -> str:
    if level not in LEVEL_CODES:
        raise NotFound("level", level, list(LEVEL_CODES))
    return level


def check_measure(number: str) -> str:
    if number not in MEASURES_BY_NUMBER:
        raise NotFound("measure", number, [m_.number for m_ in MEASURES])
    return number


def check_breakdown(breakdown: str) -> str:
    if breakdown and breakdown not in BREAKDOWNS_BY_KEY:
        raise NotFound("breakdown", breakdown, ["", *BREAKDOWNS_BY_KEY])
    return breakdown


def areas(level: str | None = None, release_id: int | None = None) -> list[Area]:
    """The areas of a level (every level when None): a release's own geography, or today's."""
    if level is not None:
        check_level(level)
    if release_id is None:
        return [a for a in current_areas() if level is None or a.level == level]
    query = ReleaseArea.objects.filter(release_id=release_id)
    if level is not None:
        query = query.filter(level=level)
    return [
        Area(a.level, a.code, a.name, a.parent_level, a.parent_code)
        for a in query.order_by("level", "code")
    ]


def areas_within(code: str, release_id: int | None = None) -> set[str]:
    """The codes of the areas inside an area, by a release's geography (or today's)."""
    every = areas(None, release_id)
    if code not in {a.code for a in every}:
        raise NotFound("parent", code, [], f"There is no area {code!r} to look inside.")
    return within(code, every)


# Area results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaResult:
    release_id: int | None  # None: live results, not published
    level: str
    area_code: str
    area_name: str
    parent_level: str
    parent_code: str
    measure: str
    breakdown: str
    category: str
    numerator: int | None
    numerator_suppressed: bool
    denominator: int | None
    denominator_suppressed: bool
    value: float | None
    unit: str
    value_note: str
    suppression_reason: str
    ci95: tuple[float, float] | None
    ci998: tuple[float, float] | None
    comparison: str
    comparison_5: str
    funnel_n: int | None = None
    funnel_limits_95: tuple[float, float] | None = None
    funnel_limits_998: tuple[float, float] | None = None
    z_score: float | None = None
    outlier: str = ""
    outlier_direction: str = ""
    incomplete: int | None = None  # live results only: children still able to pass

    @property
    def suppressed(self) -> bool:
        return bool(self.suppression_reason)

    @property
    def not_collected(self) -> bool:
        """The period's dataset does not collect the measure (kpis.md §7.1: 21 from 2026-27)."""
        return self.value_note == sdc.NOTE_NOT_COLLECTED


RESULT_SQL = """
    SELECT a.level, a.area_code, coalesce(r.name, a.area_code) AS area_name,
        coalesce(r.parent_level, '') AS parent_level, coalesce(r.parent_code, '') AS parent_code,
        a.measure_id, a.breakdown, a.category, a.numerator, a.numerator_suppressed,
        a.denominator, a.denominator_suppressed, a.value, a.value_note, a.suppression_reason,
        a.ci95_low, a.ci95_high, a.ci998_low, a.ci998_high, a.comparison, a.comparison_5,
        a.funnel_n, a.funnel_lower_95, a.funnel_upper_95, a.funnel_lower_998,
        a.funnel_upper_998, a.z_score, a.outlier, a.outlier_direction, a.release_id
    FROM aggregation_releaseaggregate a
    LEFT JOIN aggregation_releasearea r
        ON r.release_id = a.release_id AND r.level = a.level AND r.code = a.area_code
    WHERE a.release_id = %(release)s {where}
    ORDER BY {order}"""
RESULT_ORDER = "a.level, a.measure_id, a.breakdown, a.category, a.area_code"


def _pair(low, high) -> tuple[float, float] | None:
    return None if low is None or high is None else (low, high)


BLOOD_GAS_UNITS = {"ph": "pH", "bicarbonate": "mmol/l"}  # 47's first blood gas (2026)


def _result(row: tuple) -> AreaResult:
    (level, code, name, parent_level, parent_code, measure, breakdown, category, numerator,
     numerator_suppressed, denominator, denominator_suppressed, value, note, reason, l95, h95,
     l998, h998, comparison, comparison_5, funnel_n, fl95, fh95, fl998, fh998, z, outlier,
     direction, release_id) = row  # fmt: skip
    return AreaResult(
        release_id=release_id,
        level=level,
        area_code=code,
        area_name=name,
        parent_level=parent_level,
        parent_code=parent_code,
        measure=measure,
        breakdown=breakdown,
        category=category,
        numerator=numerator,
        numerator_suppressed=numerator_suppressed,
        denominator=denominator,
        denominator_suppressed=denominator_suppressed,
        value=value,
        unit=BLOOD_GAS_UNITS.get(category.partition("_")[0], "")
        if breakdown == "first_blood_gas"
        else value_unit(measure),
        value_note=note,
        suppression_reason=reason,
        ci95=_pair(l95, h95),
        ci998=_pair(l998, h998),
        comparison=comparison,
        comparison_5=comparison_5,
        funnel_n=funnel_n,
        funnel_limits_95=_pair(fl95, fh95),
        funnel_limits_998=_pair(fl998, fh998),
        z_score=z,
        outlier=outlier,
        outlier_direction=direction,
    )


def _filters(level, measure, breakdown, category) -> tuple[str, dict]:
    where, params = [], {}
    for name, value in (("level", level), ("measure_id", measure), ("breakdown", breakdown),
                        ("category", category)):  # fmt: skip
        if value is not None:
            where.append(f"AND a.{name} = %({name})s")
            params[name] = value
    return " ".join(where), params


def area_results(
    release_id: int,
    level: str,
    measure: str,
    *,
    breakdown: str = "",
    category: str | None = None,
    code: str | None = None,
    parent: str | None = None,
) -> list[AreaResult]:
    """One measure's published results for every area of a level (and breakdown), from one
    release, in area code order; `code` picks one area, `parent` the areas within another
    (e.g. the ICBs of a region, the units of an ICB or of a region)."""
    check_level(level)
    check_measure(measure)
    check_breakdown(breakdown)
    where, params = _filters(level, measure, breakdown, category)
    if code is not None:
        where += " AND a.area_code = %(code)s"
        params["code"] = code
    if parent is not None:
        where += " AND a.area_code = ANY(%(inside)s)"
        params["inside"] = list(areas_within(parent, release_id))
    sql = RESULT_SQL.format(where=where, order="a.area_code, a.category")
    with connection.cursor() as cursor:
        cursor.execute(sql, {"release": release_id, **params})
        return [_result(row) for row in cursor.fetchall()]


def release_results(
    release_id: int,
    *,
    level: str | None = None,
    measure: str | None = None,
    breakdown: str | None = "",
    code: str | None = None,
    chunk: int = 5000,
) -> Iterator[AreaResult]:
    """Every published result of a release (optionally one level, measure, breakdown or area
    code; breakdown None for all of them), streamed from a server-side cursor."""
    if level is not None:
        check_level(level)
    if measure is not None:
        check_measure(measure)
    if breakdown:
        check_breakdown(breakdown)
    where, params = _filters(level, measure, breakdown, None)
    if code is not None:
        where += " AND a.area_code = %(code)s"
        params["code"] = code
    sql = RESULT_SQL.format(where=where, order=RESULT_ORDER)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, {"release": release_id, **params})
        while rows := cursor.fetchmany(chunk):
            yield from (_result(row) for row in rows)


# An area's page --------------------------------------------------------------------------------

AREA_PAGE_LEVELS = ("icb", "region", "lhb", "country", "network", "trust", "national")


@dataclass(frozen=True)
class AreaPage:
    release_id: int
    area: Area
    ancestors: list[Area]  # from the country (or England and Wales) down to the area's parent
    children: list[Area]  # the areas one level down (ICBs of a region, units of an ICB ...)
    units: list[Area]  # every unit within the area
    results: list[AreaResult]  # every measure for the area, totals only
    national: dict[str, AreaResult]  # England and Wales, by measure


def area_page(release_id: int, level: str, code: str) -> AreaPage:
    """What an area's page shows from one release: its every measure beside England and
    Wales, where it sits in the tree, and its units."""
    if level not in AREA_PAGE_LEVELS:
        raise NotFound("level", level, list(AREA_PAGE_LEVELS))
    every = areas(None, release_id)
    by_key = {(a.level, a.code): a for a in every}
    area = by_key.get((level, code))
    if area is None:
        raise NotFound("area", code, [], f"There is no {level} {code!r} in release {release_id}.")
    ancestors, parent = [], by_key.get((area.parent_level, area.parent_code))
    while parent is not None:
        ancestors.insert(0, parent)
        parent = by_key.get((parent.parent_level, parent.parent_code))
    children = [a for a in every if (a.parent_level, a.parent_code) == (level, code)]
    units = _units_within(level, code, every)
    rows = list(release_results(release_id, code=code, level=level))
    national = {r.measure: r for r in release_results(release_id, level="national")}
    order = {m_.number: i for i, m_ in enumerate(MEASURES)}
    rows.sort(key=lambda r: order[r.measure])
    return AreaPage(release_id, area, ancestors, children, units, rows, national)


def _units_within(level: str, code: str, every: list[Area]) -> list[Area]:
    units = {a.code: a for a in every if a.level == "pdu"}
    if level == "national":
        return sorted(units.values(), key=lambda a: a.name)
    if level in ("network", "trust"):  # groupings, not geography: today's memberships
        field = {"network": "paediatric_diabetes_network_id", "trust": "trust_id"}[level]
        members = m.PaediatricDiabetesUnit.objects.filter(**{field: code})
        inside = set(members.values_list("pz_code", flat=True))
    else:
        inside = within(code, every)
    return sorted((u for c, u in units.items() if c in inside), key=lambda a: a.name)


# Live results (the audit team's working view) ----------------------------------------------------


def live_access(user) -> str:
    """'all' (every level), 'units' (the user's own units only) or 'none'."""
    if user is None or not user.is_authenticated:
        return "none"
    if user.has_perm("npda.view_all_units"):
        return "all"
    return "units" if user.has_perm("npda.view_pdukpiaggregation") else "none"


def live_area_results(user, period: AuditPeriod, level: str, measure: str) -> list[AreaResult]:
    """The live (unpublished, not disclosure-controlled) results of a level for one measure:
    for the audit team, or a unit's own staff at unit level for their own units."""
    check_level(level)
    check_measure(measure)
    access = live_access(user)
    if access == "none" or (access == "units" and level != "pdu"):
        raise PermissionDenied("Live results are for the audit team and a unit's own staff.")
    model, _ = LEVELS[level]
    rows = model.objects.filter(audit_period=period, measure_id=measure)
    if access == "units":
        from npda.data_model.scope import units_for_user

        rows = rows.filter(paediatric_diabetes_unit__in=units_for_user(user))
    area_field = model.AREA_FIELD
    records = list(rows.order_by(*([f"{area_field}_id"] if area_field else [])))
    national = LEVELS["national"][0].objects.filter(audit_period=period, measure_id=measure)
    return _live_results(level, measure, records, national.first(), _level_names(level))


def live_unit_results(user, period: AuditPeriod, pz_code: str) -> dict[str, AreaResult]:
    """Every measure's live result for one unit, by measure: for the audit team and the
    unit's own staff (each compared with the live England and Wales value)."""
    access = live_access(user)
    if access == "units":
        from npda.data_model.scope import units_for_user

        if not units_for_user(user).filter(pz_code=pz_code).exists():
            access = "none"
    if access == "none":
        raise PermissionDenied("Live results are for the audit team and a unit's own staff.")
    model = LEVELS["pdu"][0]
    records = model.objects.filter(audit_period=period, paediatric_diabetes_unit_id=pz_code)
    national = LEVELS["national"][0].objects.filter(audit_period=period)
    national_by_measure = {r.measure_id: r for r in national}
    names = _level_names("pdu")
    results = {}
    for record in records:
        measure = record.measure_id
        found = _live_results("pdu", measure, [record], national_by_measure.get(measure), names)
        results[measure] = found[0]
    return results


def live_national_results(user, period: AuditPeriod) -> dict[str, AreaResult]:
    """Every measure's live England and Wales result, by measure: for the audit team only
    (unpublished national figures are theirs to read)."""
    if live_access(user) != "all":
        raise PermissionDenied("Live national results are for the audit team.")
    names = {("national", NATIONAL_CODE): NATIONAL_AREA}
    return {
        record.measure_id: _live_results("national", record.measure_id, [record], None, names)[0]
        for record in LEVELS["national"][0].objects.filter(audit_period=period)
    }


def _level_names(level: str) -> dict[tuple[str, str], Area]:
    return {(a.level, a.code): a for a in current_areas() if a.level == level}


def _live_results(level: str, measure: str, records: list, national, names) -> list[AreaResult]:
    if not records:
        return []
    area_field = LEVELS[level][0].AREA_FIELD
    f = _live_figures(measure, records)
    comparisons = _live_comparisons(measure, f, national)
    results = []
    for i, record in enumerate(records):
        code = getattr(record, f"{area_field}_id") if area_field else NATIONAL_CODE
        area = names.get((level, code), Area(level, code, code))
        incomplete = record.checks_outstanding if measure == "32.1" else record.incomplete
        results.append(
            AreaResult(
                release_id=None, level=level, area_code=code, area_name=area.name,
                parent_level=area.parent_level, parent_code=area.parent_code, measure=measure,
                breakdown="", category="", numerator=_int(f["num"][i]),
                numerator_suppressed=False, denominator=_int(f["den"][i]),
                denominator_suppressed=False, value=_float(f["value"][i]),
                unit=value_unit(measure), suppression_reason="",
                value_note=sdc.NOTE_NOT_COLLECTED if record.passed is None else "",
                ci95=_pair(_float(f["ci95_low"][i]), _float(f["ci95_high"][i])),
                ci998=_pair(_float(f["ci998_low"][i]), _float(f["ci998_high"][i])),
                comparison=comparisons[i], comparison_5="", incomplete=incomplete,
            )
        )  # fmt: skip
    return results


LIVE_COLUMNS = ("passed", "denominator", "value", *LIMITS, "checks_done", "checks_expected",
                "n_contributors", "n_population", "sd", "events")  # fmt: skip


def _live_figures(measure: str, records: list) -> dict[str, np.ndarray]:
    columns = {
        name: np.array([_nan(getattr(r, name)) for r in records], dtype=float)
        for name in LIVE_COLUMNS
    }
    return figures(measure, columns)


def _live_comparisons(measure: str, f: dict[str, np.ndarray], national) -> list[str]:
    """Each live area against the live England and Wales value (§3.1, three levels), on the
    display scale of the areas' intervals; "" where the measure is not benchmarked."""
    polarity = MEASURES_BY_NUMBER[measure].polarity
    if polarity == Polarity.CONTEXT or national is None:
        return [""] * len(f["value"])
    benchmark = _live_figures(measure, [national])["value"][0]
    compared = compare_three_levels(f["ci95_low"], f["ci95_high"], benchmark, polarity.value)
    return [str(c) for c in compared]


def _nan(x) -> float:
    return np.nan if x is None else float(x)


def _float(x) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def _int(x) -> int | None:
    return None if x is None or not np.isfinite(x) else round(x)


# A unit's profile (spine charts) -------------------------------------------------------------

COMPARATOR_LEVELS = ("trust", "lhb", "icb", "region", "country", "network", "national")


@dataclass(frozen=True)
class ProfileRow:
    measure: str
    unit: AreaResult | None
    comparators: dict[str, AreaResult]  # by level: the unit's trust or health board, ICB, ...
    spread: dict | None  # the units' published values: n, min, q1, median, q3, max


@dataclass(frozen=True)
class UnitProfile:
    release: ReleaseSummary
    unit: Area
    areas: dict[str, Area]  # the unit's area on each comparator level
    rows: list[ProfileRow]


def unit_areas(pz_code: str) -> dict[str, Area]:
    """The unit (level "pdu") and its own areas on every comparator level (geography.md §3.1)."""
    found = areas_of_unit(pz_code)
    if found is None:
        raise NotFound("unit", pz_code, [], f"There is no unit {pz_code}.")
    return found


def unit_profile(pz_code: str, release_id: int) -> UnitProfile:
    """Every measure for the unit beside its trust or health board, ICB, region, country,
    network and England and Wales, with the spread of all units, from one release."""
    release = resolve_release(release_id)
    own = unit_areas(pz_code)
    where = (
        "AND a.breakdown = '' AND (a.level, a.area_code) IN "
        "(SELECT * FROM unnest(%(levels)s::text[], %(codes)s::text[]))"
    )
    sql = RESULT_SQL.format(where=where, order=RESULT_ORDER)
    params = {"release": release.id, "levels": [a.level for a in own.values()],
              "codes": [a.code for a in own.values()]}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        results = [_result(row) for row in cursor.fetchall()]
    by_measure: dict[str, dict[str, AreaResult]] = {}
    for result in results:
        by_measure.setdefault(result.measure, {})[result.level] = result
    spreads = dict(
        ReleaseMeasure.objects.filter(release_id=release.id).values_list("measure_id",
                                                                        "unit_spread")
    )  # fmt: skip
    rows = [
        ProfileRow(
            measure=m_.number,
            unit=by_measure.get(m_.number, {}).get("pdu"),
            comparators={
                level: r for level, r in by_measure.get(m_.number, {}).items() if level != "pdu"
            },
            spread=spreads.get(m_.number),
        )
        for m_ in MEASURES
    ]
    return UnitProfile(release, own["pdu"], {k: v for k, v in own.items() if k != "pdu"}, rows)


# A unit's case mix and peer units --------------------------------------------------------------


def case_mix(release_id: int, level: str, code: str) -> list[AreaResult]:
    """Who an area cares for: KPI 1 (eligible children) in total and by every breakdown."""
    return list(
        release_results(release_id, level=level, measure=CASE_MIX_MEASURE, breakdown=None,
                        code=code)
    )  # fmt: skip


@dataclass(frozen=True)
class Peer:
    area: Area
    distance: float
    features: dict[str, float | None]


@dataclass(frozen=True)
class PeerGroup:
    unit: Area
    features: dict[str, float | None]  # the unit's own
    peers: list[Peer]  # nearest first


def unit_peers(release_id: int, pz_code: str, k: int = PEER_COUNT) -> PeerGroup:
    """The unit's most similar units by their published case mix in one release (ADR 0013)."""
    release = resolve_release(release_id)
    features = _peer_features(release.id, release.created_at)
    names = {a.code: a for a in areas("pdu", release.id)}
    unit = names.get(pz_code, Area("pdu", pz_code, pz_code))
    peers = [
        Peer(names.get(code, Area("pdu", code, code)), distance, features[code])
        for code, distance in nearest_peers(features, pz_code, k)
    ]
    return PeerGroup(unit, features.get(pz_code, {}), peers)


@lru_cache(maxsize=32)  # a release's rows never change; `created_at` tells a re-created id apart
def _peer_features(release_id: int, created_at: datetime) -> dict[str, dict[str, float | None]]:
    wanted = {(measure, breakdown) for measure, breakdown, _ in FEATURE_SOURCES.values()}
    totals, counts = {}, {}
    sql = RESULT_SQL.format(
        where="AND a.level = 'pdu' AND a.measure_id IN ('1', '2')", order=RESULT_ORDER
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"release": release_id})
        for result in map(_result, cursor.fetchall()):
            count = None if result.numerator_suppressed else result.numerator
            if result.measure == CASE_MIX_MEASURE and not result.breakdown:
                totals[result.area_code] = count
            elif (result.measure, result.breakdown) in wanted:
                counts[(result.area_code, result.measure, result.breakdown,
                        result.category)] = count  # fmt: skip
    return unit_features(totals, counts)


# Funnels -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelData:
    release: ReleaseSummary
    measure: str
    unit: str
    parameters: dict  # k, phi, tau2, overdispersed, method, target, policy, method_version
    target: float | None  # the centre line, in the published unit
    points: list[AreaResult]  # every unit with a published value
    curves: dict[str, list[float]] = field(default_factory=dict)  # n and the four limits
    classes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code: class, direction
    adjusted: bool = True  # limits widened for overdispersion as the outlier policy says
    not_shown: list[AreaResult] = field(default_factory=list)  # units without a point: why


def funnel(release_id: int, measure: str, *, adjusted: bool = True) -> FunnelData:
    """Every unit's point and the full limit curves of a final release's funnel (for 44 the
    type 1 mean, the formal outlier measure), the curves from the stored parameters.

    `adjusted=False` draws the plain limits (no overdispersion allowance) and classes each unit
    against them, for comparison; the classes the outlier process uses are the adjusted ones,
    stored with the release."""
    from .benchmarking import funnel_curves
    from .statistics import classify

    check_measure(measure)
    release = resolve_release(release_id)
    stored = ReleaseMeasure.objects.filter(release_id=release.id, measure_id=measure).first()
    parameters = (stored.funnel if stored else None) or {}
    points, not_shown = _funnel_rows(release.id, measure)
    if not parameters or not points:
        return FunnelData(
            release, measure, value_unit(measure), parameters, None, points, not_shown=not_shown
        )
    adjusted = adjusted or not parameters.get("overdispersed")  # no allowance: the same limits
    if not adjusted:
        parameters = {**parameters, "overdispersed": False}
    kind = RULES[measure].value_kind  # the engine's kind: "events" for admissions
    n = np.arange(1, int(max(p.funnel_n for p in points) * 1.1) + 2)
    curves = funnel_curves(kind, parameters, n)
    if adjusted:
        classes = {p.area_code: (p.outlier, p.outlier_direction) for p in points}
    else:  # each unit against the plain limits at its own n
        at = funnel_curves(kind, parameters, np.array([p.funnel_n for p in points]))
        klass, direction = classify(
            np.array([p.value for p in points]), at["funnel_lower_95"], at["funnel_upper_95"],
            at["funnel_lower_998"], at["funnel_upper_998"], MEASURES_BY_NUMBER[measure].polarity,
        )  # fmt: skip
        classes = {
            p.area_code: (str(k), str(d)) for p, k, d in zip(points, klass, direction, strict=True)
        }
    return FunnelData(
        release, measure, value_unit(measure), parameters,
        _float(curves.pop("target")), points,
        {"n": n.tolist(), **{k: [_float(x) for x in v] for k, v in curves.items()}},
        classes, adjusted, not_shown,
    )  # fmt: skip


def _funnel_rows(release_id: int, measure: str) -> tuple[list[AreaResult], list[AreaResult]]:
    """The units of a release on a measure's funnel (those with a published value and a funnel
    n) and those not on it (value withheld, or no children); for 44 the type 1 rows: the
    formal outlier measure is the type 1 mean."""
    breakdown, category = ("diabetes_type", "1") if measure == "44" else ("", None)
    rows = area_results(release_id, "pdu", measure, breakdown=breakdown, category=category)
    on_it = [r.value is not None and bool(r.funnel_n) for r in rows]
    return (
        [r for r, shown in zip(rows, on_it, strict=True) if shown],
        [r for r, shown in zip(rows, on_it, strict=True) if not shown],
    )


def _funnel_points(release_id: int, measure: str) -> list[AreaResult]:
    return _funnel_rows(release_id, measure)[0]


# Trends ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    release: ReleaseSummary
    result: AreaResult | None


@dataclass(frozen=True)
class Trend:
    level: str
    area_code: str
    measure: str
    years: list[TrendPoint]  # current final releases, oldest year first
    quarters: list[TrendPoint]  # current provisional releases, by year and quarter end


def trend(level: str, code: str, measure: str, *, breakdown: str = "", category: str = "") -> Trend:
    """One measure for one area across the current releases: by year (final) and by quarter
    within each year (provisional)."""
    check_level(level)
    check_measure(measure)
    check_breakdown(breakdown)
    current = sorted(
        releases(current_only=True), key=lambda r: (r.audit_year, r.calculation_date, r.id)
    )
    where = (
        " AND a.level = %(level)s AND a.area_code = %(code)s AND a.measure_id = %(measure)s"
        " AND a.breakdown = %(breakdown)s AND a.category = %(category)s"
    )
    sql = RESULT_SQL.replace("a.release_id = %(release)s", "a.release_id = ANY(%(releases)s)")
    params = {"releases": [r.id for r in current], "level": level, "code": code,
              "measure": measure, "breakdown": breakdown, "category": category}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql.format(where=where, order="a.release_id"), params)
        by_release = {row[-1]: _result(row) for row in cursor.fetchall()}
    points = [TrendPoint(r, by_release.get(r.id)) for r in current]
    return Trend(
        level, code, measure,
        years=[p for p in points if p.release.kind == Release.Kind.FINAL],
        quarters=[p for p in points if p.release.kind == Release.Kind.PROVISIONAL],
    )  # fmt: skip


# The area tree -----------------------------------------------------------------------------------


@dataclass
class AreaNode:
    level: str
    code: str
    name: str
    children: list["AreaNode"] = field(default_factory=list)


@dataclass(frozen=True)
class AreaTree:
    root: AreaNode  # England and Wales -> countries -> regions -> ICBs -> units; Wales -> LHBs
    networks: list[AreaNode]  # paediatric diabetes networks -> their units
    trusts: list[AreaNode]  # trusts -> their units (England)


def area_tree(release_id: int | None = None) -> AreaTree:
    """For drill-down: the geographic tree of a release (or today's), and the networks and
    trusts with their units (today's memberships)."""
    all_areas = areas(None, release_id)
    nodes = {(a.level, a.code): AreaNode(a.level, a.code, a.name) for a in all_areas}
    for area in all_areas:
        parent = nodes.get((area.parent_level, area.parent_code))
        if parent is not None and area.level in ("pdu", "icb", "lhb", "region", "country"):
            parent.children.append(nodes[(area.level, area.code)])
    root = nodes.get(("national", NATIONAL_CODE), AreaNode("national", NATIONAL_CODE, ""))
    groupings = {"network": [], "trust": []}
    units = m.PaediatricDiabetesUnit.objects.values_list(
        "pz_code", "paediatric_diabetes_network_id", "trust_id"
    )
    for pz_code, network, trust in units.order_by("pz_code"):
        unit = nodes.get(("pdu", pz_code))
        for level, code in (("network", network), ("trust", trust)):
            group = nodes.get((level, code))
            if unit is not None and group is not None:
                group.children.append(AreaNode("pdu", unit.code, unit.name))
    for (level, _), node in sorted(nodes.items()):
        if level in groupings:
            groupings[level].append(node)
    return AreaTree(root, groupings["network"], groupings["trust"])


# The suppression log (the audit team only) ------------------------------------------------------

SUPPRESSION_LOG_COLUMNS = (
    "release_id", "policy_version", "run_at", "output_id", "period", "level", "area_code",
    "measure", "breakdown", "category", "cell_role", "reason", "constraint_id", "true_value",
    "displayed_value",
)  # fmt: skip


def suppression_log(user, release_id: int) -> Iterator[tuple]:
    """disclosure-control.md §7, with true values: for the audit team only."""
    if user is None or not user.has_perm("aggregation.view_suppression_log"):
        raise PermissionDenied("The suppression log is for the RCPCH audit team.")
    release = resolve_release(release_id)
    sql = """
        SELECT s.release_id, %(policy)s, %(run_at)s, s.output_id, %(period)s, s.level,
            s.area_code, s.measure_id, s.breakdown, s.category, s.cell_role, s.reason,
            s.constraint_id, s.true_value, s.displayed_value
        FROM aggregation_suppressionlogentry s WHERE s.release_id = %(release)s
        ORDER BY s.level, s.area_code, s.measure_id, s.breakdown, s.category, s.cell_role"""
    params = {"policy": release.disclosure_policy, "run_at": release.created_at.isoformat(),
              "period": release.period, "release": release.id}  # fmt: skip
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(5000):
            yield from rows


# The formal outlier process (the audit team only) ---------------------------------------------


@dataclass(frozen=True)
class ClassedUnit:
    """A unit's class on a formal outlier measure of a final release, from its true figures
    (benchmarking-methods.md §6): value, n, the limits at n, z-score, class and direction, and
    whether the public funnel shows it. Confidential: true values of withheld units."""

    area_code: str
    area_name: str
    measure: str
    value: float | None
    unit: str
    funnel_n: int | None
    funnel_limits_95: tuple[float, float] | None
    funnel_limits_998: tuple[float, float] | None
    z_score: float | None
    outlier: str  # within | alert | alarm | non_participation
    outlier_direction: str
    published: bool = True
    public_note: str = ""  # why the public value is withheld


@dataclass(frozen=True)
class OutlierCase:
    """A unit beyond a limit on a formal outlier measure of a final release: the funnel
    evidence, and the steps of the outlier process recorded for it so far."""

    point: ClassedUnit
    steps: list  # OutlierProcessStep rows, in the order taken


@dataclass(frozen=True)
class OutlierReport:
    release: ReleaseSummary
    cases: list[OutlierCase]  # alerts and alarms, alarms first
    non_participating: list[ClassedUnit]  # units with no data for the year
    classed: dict[str, int]  # units classed on each formal measure
    every_unit: bool  # False: a release made before true classes were stored (published only)


FLAGGED = ("alert", "alarm")


def outliers(user, release_id: int | str) -> OutlierReport:
    """Alert and alarm units of the formal outlier measures (32.1, the type 1 mean HbA1c) of a
    final release, classed on the true values of every unit whatever the public sees, alarms
    first, with their process steps; and the units that took no part."""
    from .models import OutlierProcessStep

    if user is None or not user.has_perm("aggregation.view_outlierprocessstep"):
        raise PermissionDenied("The outlier process record is for the RCPCH audit team.")
    release = resolve_release(release_id)
    if release.kind != Release.Kind.FINAL:
        raise NotFound("release", release_id, [], "Outliers are classed on final releases only.")
    steps: dict[tuple[str, str], list] = {}
    for step in OutlierProcessStep.objects.filter(release_id=release.id).select_related(
        "recorded_by"
    ):
        steps.setdefault((step.unit_id, step.measure_id), []).append(step)
    classes = _stored_classes(release.id)
    every_unit = bool(classes)
    if not every_unit:  # made before issue 24: the classes of the published points only
        classes = [
            _classed(point) for measure in FORMAL_OUTLIER_MEASURES
            for point in _funnel_points(release.id, measure)
        ]  # fmt: skip
    classed: dict[str, int] = {}
    for unit in classes:
        if unit.measure:
            classed[unit.measure] = classed.get(unit.measure, 0) + 1
    cases = [
        OutlierCase(unit, steps.get((unit.area_code, unit.measure), []))
        for unit in classes
        if unit.outlier in FLAGGED
    ]
    cases.sort(key=lambda c: (c.point.outlier != "alarm", c.point.measure, c.point.area_name))
    absent = sorted(
        (u for u in classes if u.outlier == "non_participation"), key=lambda u: u.area_name
    )
    return OutlierReport(release, cases, absent, classed, every_unit)


def _stored_classes(release_id: int) -> list[ClassedUnit]:
    from .models import UnitOutlierClass

    return [
        ClassedUnit(
            area_code=c.unit_code, area_name=c.unit_name, measure=c.measure_id or "",
            value=c.value, unit=value_unit(c.measure_id) if c.measure_id else "",
            funnel_n=c.n, funnel_limits_95=_pair(c.funnel_lower_95, c.funnel_upper_95),
            funnel_limits_998=_pair(c.funnel_lower_998, c.funnel_upper_998),
            z_score=c.z_score, outlier=c.outlier, outlier_direction=c.outlier_direction,
            published=c.published, public_note=c.public_note,
        )
        for c in UnitOutlierClass.objects.filter(release_id=release_id).order_by("pk")
    ]  # fmt: skip


def _classed(point: AreaResult) -> ClassedUnit:
    return ClassedUnit(
        point.area_code, point.area_name, point.measure, point.value, point.unit,
        point.funnel_n, point.funnel_limits_95, point.funnel_limits_998, point.z_score,
        point.outlier, point.outlier_direction,
    )  # fmt: skip


# The audit team's raw tables ---------------------------------------------------------------

KPI_TABLE_COLUMNS = (
    "level",
    "area_code",
    "measure",
    "passed",
    "failed",
    "incomplete",
    "ineligible",
    "denominator",
    "value",
    "ci95_low",
    "ci95_high",
)


def audit_period_for_year(year: int) -> AuditPeriod:
    """The period that starts on 1 April of `year` (AuditPeriod.DoesNotExist if none)."""
    return AuditPeriod.objects.get(start_date__year=year)


def kpi_table_rows(period: AuditPeriod, level: str) -> Iterator[dict[str, object]]:
    """The live aggregates of a level (the audit team's raw table): one dict per area and
    measure, in area then registry order."""
    model, _ = LEVELS[level]
    area = model.AREA_FIELD
    rows = model.objects.filter(audit_period=period).order_by(
        *([f"{area}_id"] if area else []), "measure__sort_order"
    )
    for row in rows.iterator(chunk_size=5000):
        yield {
            "level": level,
            "area_code": getattr(row, f"{area}_id") if area else NATIONAL_CODE,
            "measure": row.measure_id,
            **{name: getattr(row, name) for name in KPI_TABLE_COLUMNS[3:]},
        }


def kpis_are_current(period: AuditPeriod) -> bool:
    """Whether a full run has succeeded since the period's latest upload (so running again
    would compute the same results, up to the calculation date)."""
    last_upload = Submission.objects.filter(audit_period=period).aggregate(at=Max("submitted_at"))
    full_runs = KPIRun.objects.filter(
        audit_period=period, status=KPIRun.Status.SUCCEEDED, pdu_codes=[]
    ).exclude(trigger=KPIRun.Trigger.PUBLISH)
    if last_upload["at"] is not None:
        full_runs = full_runs.filter(started_at__gt=last_upload["at"])
    return full_runs.exists()


def live_years() -> list[int]:
    """The audit years that have live results, newest first."""
    starts = LEVELS["national"][0].objects.values_list("audit_period__start_date", flat=True)
    return sorted({start.year for start in starts.distinct()}, reverse=True)
