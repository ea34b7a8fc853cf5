"""Roll-up of the per-child KPI rows to every level: the live aggregates.

Two SELECTs read the period's `npda_kpi` rows (kpis.md §3.3, pooling, never averaging):
1. counts: one GROUP BY unit with a count(*) FILTER per measure and state (plus the sums of
   §3.2), then summed from units to every level. Counts are additive, so this is exact pooling.
2. values: the per-child HbA1c medians of every area (44, 45), for means, SDs and medians.
Each unit's children go to one area per level, the unit's stored geography (geography.md §3.1),
through `UNIT_AREA_SQL`. Python adds each area's own statistics (intervals, breakdowns;
vectorised, formulas in `aggregation.statistics`); one binary COPY stages the rows and one
INSERT per level table writes them.

A live row depends only on its own area's children, so a unit recompute rewrites only the areas
holding that unit. Comparisons with the national value, funnels and outlier classes are made
from a published release of an ended period (`aggregation.benchmarking`).
"""

import json
from dataclasses import dataclass

import numpy as np

from constants.kpis import MEASURES, Measure
from npda import models as m

from . import statistics as st
from .measures import RULES

NATIONAL_CODE = "EW"  # the one area of the national level: England and Wales

# Level key (constants.levels.Level) -> (aggregation model, the unit's area on that level).
# Jersey (no country) is in no country, national or OPEN UK total (geography.md §3.4, ADR 0005).
LEVELS: dict[str, tuple[type[m.KPIAggregation], str]] = {
    "pdu": (m.PDUKPIAggregation, "u.pz_code"),
    "trust": (m.TrustKPIAggregation, "u.trust_id"),
    "lhb": (m.LocalHealthBoardKPIAggregation, "u.local_health_board_id"),
    "icb": (m.IntegratedCareBoardKPIAggregation, "u.integrated_care_board_id"),
    "region": (m.NHSEnglandRegionKPIAggregation, "u.nhs_england_region_id"),
    "country": (m.CountryKPIAggregation, "u.country_id"),
    "network": (m.PaediatricDiabetesNetworkKPIAggregation, "u.paediatric_diabetes_network_id"),
    "openuk": (
        m.OpenUKNetworkKPIAggregation,
        "CASE WHEN u.country_id IS NOT NULL"
        " THEN coalesce(t.openuk_network_id, o.openuk_network_id) END",
    ),
    "national": (
        m.NationalKPIAggregation,
        f"CASE WHEN u.country_id IS NOT NULL THEN '{NATIONAL_CODE}' END",
    ),
}

# Every unit's area on each level (a child counts in exactly one area per level): a small
# temporary table (9 rows per unit) that the roll-up queries join to.
UNIT_AREA_TABLE = "kpi_unit_area"
UNIT_AREA_SQL = (
    """SELECT u.pz_code AS pdu, area.level, area.code
    FROM npda_paediatricdiabetesunit u
    LEFT JOIN npda_trust t ON t.ods_code = u.trust_id
    LEFT JOIN npda_organisation o ON o.ods_code = u.lead_organisation_id
    CROSS JOIN LATERAL (VALUES """
    + ", ".join(f"('{level}', {area})" for level, (_, area) in LEVELS.items())
    + """) AS area(level, code)
    WHERE area.code IS NOT NULL"""
)
STAGE_TABLE = "kpi_aggregate_stage"

STATES = {"passed": 1, "failed": 2, "incomplete": 3, "ineligible": 0}
QUARTERS = (1, 2, 3, 4)
DIABETES_TYPES = {  # 44/45 splits (kpis.md §4.7 rule 5)
    "all": "true",
    "1": "diabetes_type = 1",
    "2": "diabetes_type = 2",
    "other": "diabetes_type IN (3, 4, 5, 99)",
}


def _count_columns() -> dict[str, str]:
    """Unit-level sums, by name: the four states of every measure and the §3.2 extras."""
    columns = {
        f"{measure.field_name}_{state}": f"count(*) FILTER (WHERE {measure.field_name} = {code})"
        for measure in MEASURES
        for state, code in STATES.items()
    }
    columns |= {
        "checks_done": "sum(health_checks_done)",
        "checks_expected": "sum(health_checks_expected)",
        "checks_outstanding": "sum(health_checks_expected - health_checks_done)"
        " FILTER (WHERE kpi_32_1 = 3)",
        "admissions": "sum(admissions)",
        "dka_admissions": "sum(dka_admissions)",
        "admissions_near_diagnosis": "sum(admissions_near_diagnosis)",
        "dka_admissions_near_diagnosis": "sum(dka_admissions_near_diagnosis)",
        "current_smokers": "count(*) FILTER (WHERE kpi_36 <> 0 AND current_smoker)",
        "current_smokers_passed": "count(*) FILTER (WHERE kpi_36 = 1 AND current_smoker)",
    }
    for q in QUARTERS:
        columns[f"admissions_q{q}"] = f"sum(admissions_by_quarter[{q}])"
        columns[f"dka_admissions_q{q}"] = f"sum(dka_admissions_by_quarter[{q}])"
        columns[f"new_diagnoses_q{q}"] = (
            f"count(*) FILTER (WHERE kpi_2 = 1 AND diagnosis_quarter = {q})"
        )
        columns[f"leavers_q{q}"] = f"count(*) FILTER (WHERE kpi_9 = 1 AND leaving_quarter = {q})"
    for reason in (1, 2, 3):
        columns[f"leavers_reason_{reason}"] = (
            f"count(*) FILTER (WHERE kpi_9 = 1 AND leaving_reason = {reason})"
        )
    return columns


COUNT_COLUMNS = _count_columns()


def counts_sql(scope: str = "true") -> str:
    unit_sums = ",\n            ".join(f"{sql} AS {name}" for name, sql in COUNT_COLUMNS.items())
    level_sums = ",\n        ".join(
        f"coalesce(sum(c.{n}), 0)::bigint AS {n}" for n in COUNT_COLUMNS
    )
    return f"""
    WITH unit_counts AS MATERIALIZED (  -- once, whatever the plan of the join below
        SELECT paediatric_diabetes_unit_id AS pdu,
            {unit_sums}
        FROM npda_kpi WHERE audit_period_id = %(period)s
        GROUP BY paediatric_diabetes_unit_id
    )
    SELECT a.level, a.code,
        {level_sums}
    FROM unit_counts c JOIN {UNIT_AREA_TABLE} a ON a.pdu = c.pdu
    WHERE {scope}
    GROUP BY a.level, a.code"""


def values_sql(scope: str = "true") -> str:
    """44/45: n, mean, SD and median of the per-child medians of every area, for all types
    (is_total) and for each type group."""
    type_group = " ".join(
        f"WHEN {condition} THEN '{key}'"
        for key, condition in DIABETES_TYPES.items()
        if key != "all"
    )
    return f"""
    WITH contributor AS MATERIALIZED (
        SELECT paediatric_diabetes_unit_id AS pdu, hba1c_median AS m,
            CASE {type_group} END AS type_group
        FROM npda_kpi WHERE audit_period_id = %(period)s AND kpi_44 = 1
    )
    SELECT a.level, a.code, k.type_group, GROUPING(k.type_group) = 1 AS is_total,
        count(*) AS n, avg(m) AS mean, stddev_samp(m) AS sd,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY m) AS median
    FROM contributor k JOIN {UNIT_AREA_TABLE} a ON a.pdu = k.pdu
    WHERE {scope}
    GROUP BY GROUPING SETS ((a.level, a.code), (a.level, a.code, k.type_group))"""


# Statistics ------------------------------------------------------------------------------------


@dataclass
class Areas:
    """Every area of every level of one period, as parallel arrays (one entry per area)."""

    levels: np.ndarray
    codes: np.ndarray
    counts: dict[str, np.ndarray]
    values: dict[str, np.ndarray]

    @classmethod
    def from_queries(cls, count_rows: list[dict], value_rows: list[dict]) -> "Areas":
        levels = np.array([r["level"] for r in count_rows], dtype=object)
        codes = np.array([r["code"] for r in count_rows], dtype=object)
        counts = {n: np.array([r[n] for r in count_rows], dtype=float) for n in COUNT_COLUMNS}
        by_area: dict[tuple, dict[str, float]] = {}
        for r in value_rows:
            key = "all" if r["is_total"] else r["type_group"]
            if key is None:  # a contributor of no valid type: in "all" only
                continue
            stats = by_area.setdefault((r["level"], r["code"]), {})
            for s in ("n", "mean", "sd", "median"):
                stats[f"{s}_{key}"] = _float(r[s])
        value_names = [f"{s}_{t}" for t in DIABETES_TYPES for s in ("n", "mean", "sd", "median")]
        values = {
            name: np.array(
                [
                    by_area.get((lv, cd), {}).get(name, np.nan)
                    for lv, cd in zip(levels, codes, strict=True)
                ],
                dtype=float,
            )
            for name in value_names
        }
        for t in DIABETES_TYPES:  # no contributors: n = 0, not NaN
            values[f"n_{t}"] = np.nan_to_num(values[f"n_{t}"])
        return cls(levels, codes, counts, values)


def _float(x) -> float:
    return float("nan") if x is None else float(x)


@dataclass
class MeasureStats:
    """The statistics columns of one measure for every area (arrays of the areas' length)."""

    value: np.ndarray
    ci: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # 95 low, high, 99.8 low, high
    details: list[dict] | None = None
    extra: dict[str, np.ndarray] | None = None  # other model columns (checks, mean, ...)


def nan_array(n: int) -> np.ndarray:
    return np.full(n, np.nan)


def safe_ratio(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, x / n, np.nan)


def _intervals(kind: str, areas: Areas, measure: Measure, value: np.ndarray):
    """The 95 % and 99.8 % limits of `value` (benchmarking-methods.md §2)."""
    c, v, size = areas.counts, areas.values, len(value)
    f = measure.field_name
    if kind == "proportion":
        x, n = c[f"{f}_passed"], _denominator(areas, measure)
    elif kind == "check_proportion":
        x, n = c["checks_done"], c["checks_expected"]
    elif kind == "mean":
        return (
            *st.t_interval(v["mean_all"], v["sd_all"], v["n_all"], st.ALPHA95),
            *st.t_interval(v["mean_all"], v["sd_all"], v["n_all"], st.ALPHA998),
        )
    elif kind == "events":
        return (
            *st.poisson_count_interval(value, st.Z95, st.ALPHA95),
            *st.poisson_count_interval(value, st.Z998, st.ALPHA998),
        )
    else:  # counts and medians have no interval (§2.3)
        return nan_array(size), nan_array(size), nan_array(size), nan_array(size)
    return (*st.wilson(x, n, st.Z95), *st.wilson(x, n, st.Z998))


def _denominator(areas: Areas, measure: Measure) -> np.ndarray:
    f = measure.field_name
    return sum(areas.counts[f"{f}_{s}"] for s in ("passed", "failed", "incomplete"))


def _value(kind: str, areas: Areas, measure: Measure) -> np.ndarray:
    c, f = areas.counts, measure.field_name
    return {
        "count": lambda: c[f"{f}_passed"],
        "proportion": lambda: safe_ratio(c[f"{f}_passed"], _denominator(areas, measure)),
        "check_proportion": lambda: safe_ratio(c["checks_done"], c["checks_expected"]),
        "mean": lambda: areas.values["mean_all"],
        "median": lambda: areas.values["median_all"],
        "events": lambda: c["admissions" if measure.number == "46" else "dka_admissions"],
    }[kind]()


def json_number(x) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 10)


def _details(kind: str, areas: Areas, measure: Measure, stats: MeasureStats) -> list[dict]:
    """Breakdowns and companion figures (kpis.md §3.2, §4.5, §4.7, §6), per area."""
    c, v, size = areas.counts, areas.values, len(stats.value)
    number = measure.number
    if number == "2":
        return [
            {"by_quarter": [int(c[f"new_diagnoses_q{q}"][i]) for q in QUARTERS]}
            for i in range(size)
        ]
    if number == "9":
        return [
            {
                "by_quarter": [int(c[f"leavers_q{q}"][i]) for q in QUARTERS],
                "by_reason": {str(r): int(c[f"leavers_reason_{r}"][i]) for r in (1, 2, 3)},
            }
            for i in range(size)
        ]
    if number == "36":
        rate = safe_ratio(c["current_smokers_passed"], c["current_smokers"])
        return [
            {
                "current_smokers": int(c["current_smokers"][i]),
                "current_smokers_passed": int(c["current_smokers_passed"][i]),
                "current_smokers_value": json_number(rate[i]),
            }
            for i in range(size)
        ]
    if kind in ("mean", "median"):
        intervals = {
            t: (
                *st.t_interval(v[f"mean_{t}"], v[f"sd_{t}"], v[f"n_{t}"], st.ALPHA95),
                *st.t_interval(v[f"mean_{t}"], v[f"sd_{t}"], v[f"n_{t}"], st.ALPHA998),
            )
            for t in DIABETES_TYPES
        }
        return [
            {
                "by_type": {
                    t: {
                        "n": int(v[f"n_{t}"][i]),
                        "mean": json_number(v[f"mean_{t}"][i]),
                        "sd": json_number(v[f"sd_{t}"][i]),
                        "median": json_number(v[f"median_{t}"][i]),
                        "ci95": [
                            json_number(intervals[t][0][i]),
                            json_number(intervals[t][1][i]),
                        ],
                        "ci998": [
                            json_number(intervals[t][2][i]),
                            json_number(intervals[t][3][i]),
                        ],
                    }
                    for t in DIABETES_TYPES
                }
            }
            for i in range(size)
        ]
    if kind == "events":
        prefix = "admissions" if number == "46" else "dka_admissions"
        population = c["kpi_1_passed"]
        per_100 = safe_ratio(stats.value, population) * 100
        ci = [safe_ratio(limit, population) * 100 for limit in stats.ci]
        children = c[f"{measure.field_name}_passed"]
        share = safe_ratio(children, population)
        return [
            {
                "children_with_admission": int(children[i]),
                "children_with_admission_share": json_number(share[i]),
                "per_100_children": json_number(per_100[i]),
                "per_100_ci95": [json_number(ci[0][i]), json_number(ci[1][i])],
                "per_100_ci998": [json_number(ci[2][i]), json_number(ci[3][i])],
                "by_quarter": [int(c[f"{prefix}_q{q}"][i]) for q in QUARTERS],
                "within_90_days_of_diagnosis": int(c[f"{prefix}_near_diagnosis"][i]),
            }
            for i in range(size)
        ]
    return [{} for _ in range(size)]


def _extra_columns(kind: str, areas: Areas, measure: Measure) -> dict[str, np.ndarray]:
    c, v, size = areas.counts, areas.values, len(areas.codes)
    none = nan_array(size)
    extra = {
        "checks_done": none,
        "checks_expected": none,
        "checks_outstanding": none,
        "n_contributors": none,
        "n_population": none,
        "mean": none,
        "sd": none,
        "median": none,
        "events": none,
    }
    if kind == "check_proportion":
        extra |= {k: c[k] for k in ("checks_done", "checks_expected", "checks_outstanding")}
    if kind in ("mean", "median"):
        extra |= {
            "n_contributors": v["n_all"],
            "n_population": c["kpi_1_passed"],
            "mean": v["mean_all"],
            "sd": v["sd_all"],
            "median": v["median_all"],
        }
    if kind == "events":
        extra |= {"events": _value(kind, areas, measure), "n_population": c["kpi_1_passed"]}
    return extra


def measure_statistics(areas: Areas, measure: Measure) -> MeasureStats:
    kind = RULES[measure.number].value_kind
    value = _value(kind, areas, measure)
    stats = MeasureStats(value=value, ci=_intervals(kind, areas, measure, value))
    stats.extra = _extra_columns(kind, areas, measure)
    stats.details = _details(kind, areas, measure, stats)
    return stats


# Writing ---------------------------------------------------------------------------------------

NUMBER_FIELDS = {  # column -> SQL type; sent as float8, NaN meaning NULL
    **dict.fromkeys(("passed", "failed", "incomplete", "ineligible", "denominator"), "bigint"),
    **dict.fromkeys(("checks_done", "checks_expected", "checks_outstanding"), "bigint"),
    **dict.fromkeys(("n_contributors", "n_population", "events"), "bigint"),
    **dict.fromkeys(("value", "ci95_low", "ci95_high", "ci998_low", "ci998_high"), "float8"),
    **dict.fromkeys(("mean", "sd", "median"), "float8"),
}
TEXT_FIELDS = ("measure_id", "details")
BLANK_FIELDS = ("comparison", "comparison_5", "funnel_method", "outlier", "outlier_direction")
NO_DETAILS = json.dumps({})


def _measure_columns(areas: Areas, measure: Measure) -> dict[str, np.ndarray]:
    """Every output column of one measure, one entry per area."""
    size = len(areas.codes)
    stats = measure_statistics(areas, measure)
    return {
        **{state: areas.counts[f"{measure.field_name}_{state}"] for state in STATES},
        "denominator": _denominator(areas, measure),
        "value": stats.value,
        "ci95_low": stats.ci[0],
        "ci95_high": stats.ci[1],
        "ci998_low": stats.ci[2],
        "ci998_high": stats.ci[3],
        **stats.extra,
        "measure_id": np.full(size, measure.number, dtype=object),
        "details": np.array(
            [json.dumps(d) if d else NO_DETAILS for d in stats.details], dtype=object
        ),
    }


def _rows(areas: Areas) -> dict[str, np.ndarray]:
    """The (area x measure) rows as one array per column, area-major."""
    per_measure = [_measure_columns(areas, measure) for measure in MEASURES]
    rows = {
        name: np.stack(
            [
                np.asarray(columns[name], dtype=float if name in NUMBER_FIELDS else object)
                for columns in per_measure
            ],
            axis=1,
        ).ravel()
        for name in per_measure[0]
    }
    rows["level"] = np.repeat(areas.levels, len(MEASURES))
    rows["code"] = np.repeat(areas.codes, len(MEASURES))
    return rows


def stage(cursor, numbers: list[str], texts: list[str], columns: dict) -> None:
    """Columns of numbers and texts (sequences of equal length) into the temporary stage table
    with one binary COPY; NaN stands for NULL."""
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE_TABLE}")
    types = ", ".join([f"{n} float8" for n in numbers] + [f"{t} text" for t in texts])
    cursor.execute(f"CREATE TEMPORARY TABLE {STAGE_TABLE} ({types})")
    values = [np.asarray(columns[name]).tolist() for name in (*numbers, *texts)]
    with cursor.cursor.copy(f"COPY {STAGE_TABLE} FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["float8"] * len(numbers) + ["text"] * len(texts))
        for row in zip(*values, strict=True):
            copy.write_row(row)


def _insert_level_sql(level: str) -> str:
    model, _ = LEVELS[level]
    area = [model.area_column()] if model.AREA_FIELD else []
    numbers = [f"NULLIF({n}, 'NaN')::{t}" for n, t in NUMBER_FIELDS.items()]
    texts = [f"{t}::jsonb" if t == "details" else t for t in TEXT_FIELDS]
    return f"""
        INSERT INTO {model._meta.db_table} ({", ".join([*area, *NUMBER_FIELDS, *TEXT_FIELDS])},
            {", ".join(BLANK_FIELDS)}, audit_period_id, calculation_date, computed_at, is_published)
        SELECT {", ".join([*(["code"] if area else []), *numbers, *texts])},
            {", ".join("''" for _ in BLANK_FIELDS)}, %(period)s, %(c)s, now(), false
        FROM {STAGE_TABLE} WHERE level = '{level}'"""


def fetch_dicts(cursor, sql: str, params: dict) -> list[dict]:
    cursor.execute(sql, params)
    names = [col.name for col in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def aggregate(cursor, params: dict, units: list[str] | None) -> int:
    """Replace the period's live aggregates of every area of the given units (every area when
    None) at every level; returns the rows written. Areas without the units are unchanged."""
    cursor.execute(f"DROP TABLE IF EXISTS {UNIT_AREA_TABLE}")
    cursor.execute(f"CREATE TEMPORARY TABLE {UNIT_AREA_TABLE} AS {UNIT_AREA_SQL}")
    cursor.execute(f"ANALYZE {UNIT_AREA_TABLE}")
    scope = _affected_areas_filter(units)
    count_rows = fetch_dicts(cursor, counts_sql(scope), params)
    areas = Areas.from_queries(count_rows, fetch_dicts(cursor, values_sql(scope), params))
    stage(cursor, list(NUMBER_FIELDS), ["level", "code", *TEXT_FIELDS], _rows(areas))
    for level in LEVELS:
        cursor.execute(_delete_level_sql(level, units), params)
    written = 0
    for level in LEVELS:
        cursor.execute(_insert_level_sql(level), params)
        written += cursor.rowcount
    cursor.execute(f"DROP TABLE {UNIT_AREA_TABLE}, {STAGE_TABLE}")
    return written


def _affected_areas_filter(units: list[str] | None) -> str:
    """SQL condition on a.level, a.code: the areas holding one of the units."""
    if not units:
        return "true"
    return (
        f"(a.level, a.code) IN (SELECT level, code FROM {UNIT_AREA_TABLE}"
        " WHERE pdu = ANY(%(units)s))"
    )


def _delete_level_sql(level: str, units: list[str] | None) -> str:
    model, _ = LEVELS[level]
    sql = (
        f"DELETE FROM {model._meta.db_table}"
        " WHERE audit_period_id = %(period)s AND NOT is_published"
    )
    if not units:
        return sql
    holding = f"SELECT code FROM {UNIT_AREA_TABLE} WHERE level = '{level}' AND pdu = ANY(%(units)s)"
    if model.AREA_FIELD:
        return f"{sql} AND {model.area_column()} IN ({holding})"
    return f"{sql} AND EXISTS ({holding})"
