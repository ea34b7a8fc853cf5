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
holding that unit. A release pools the same way from its own frozen KPI rows, with the
child-attribute breakdowns (`pooled_areas`); comparisons with the national value, funnels and
outlier classes are made only in a release (`aggregation.releases`, `aggregation.benchmarking`).
"""

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from constants.breakdowns import (
    BREAKDOWNS_BY_KEY,
    CHILD_BREAKDOWNS,
    DESCRIPTIVE_BREAKDOWNS,
    NOT_RECORDED,
)
from constants.codes import ETHNICITY_GROUP
from constants.kpis import MEASURES, MEASURES_BY_NUMBER, Measure
from npda.data_model import models as m

from . import statistics as st
from .measures import NOT_AVAILABLE, NOT_COLLECTED_SOMETIMES, RULES

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
# Keys in the "C" collation: grouping sorts them by bytes, not by language rules (5x faster).
UNIT_AREA_SQL = (
    """SELECT u.pz_code COLLATE "C" AS pdu, area.level COLLATE "C" AS level,
        area.code COLLATE "C" AS code
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
    columns |= {  # children of a dataset that does not collect the measure
        f"{MEASURES_BY_NUMBER[number].field_name}_not_available": "count(*) FILTER"
        f" (WHERE {MEASURES_BY_NUMBER[number].field_name} = {NOT_AVAILABLE})"
        for number in NOT_COLLECTED_SOMETIMES
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
    for key, code in DESCRIPTIVE_CATEGORIES:  # KPI 1's live details (2026 dataset)
        columns[f"descriptive_{key}_{code}"] = (
            f"count(*) FILTER (WHERE kpi_1 = 1 AND {CATEGORY_SQL[key]} = '{code}')"
        )
    return columns


# The child-attribute breakdowns of constants.breakdowns: each child's category, from its KPI
# row (NULL, or outside the code list: "not recorded").
_NOT_RECORDED = f"'{NOT_RECORDED[0]}'"
_ETHNICITY_GROUPS = " ".join(
    f"WHEN '{code}' THEN '{group.value}'" for code, group in ETHNICITY_GROUP.items()
)
CATEGORY_SQL: dict[str, str] = {
    "age_12": "CASE WHEN age_at_start < 12 THEN 'under_12'"
    f" WHEN age_at_start >= 12 THEN '12_and_over' ELSE {_NOT_RECORDED} END",
    "age_16": "CASE WHEN age_at_start < 16 THEN 'under_16'"
    f" WHEN age_at_start >= 16 THEN '16_and_over' ELSE {_NOT_RECORDED} END",
    "diabetes_type": "CASE WHEN diabetes_type IN (1, 2) THEN diabetes_type::text"
    f" WHEN diabetes_type IN (3, 4, 5, 99) THEN 'other' ELSE {_NOT_RECORDED} END",
    "sex": f"CASE WHEN sex IN (1, 2, 3, 99) THEN sex::text ELSE {_NOT_RECORDED} END",
    "ethnicity_group": f"CASE ethnicity {_ETHNICITY_GROUPS} ELSE {_NOT_RECORDED} END",
    "imd_quintile": "CASE WHEN imd_quintile BETWEEN 1 AND 5 THEN imd_quintile::text"
    f" ELSE {_NOT_RECORDED} END",
    **{  # the 2026 dataset's descriptive figures: the KPI row's value in its code list
        key: f"CASE WHEN {column} IN ({', '.join(BREAKDOWNS_BY_KEY[key].category_codes[:-1])})"
        f" THEN {column}::text ELSE {_NOT_RECORDED} END"
        for key, column in (
            ("adhd_asd", "adhd_asd_status"),
            ("learning_disability", "learning_disability_status"),
            ("immunotherapy", "immunotherapy_received"),
            ("support_outcome", "psychological_support_outcome"),
        )
    },
}
assert set(CATEGORY_SQL) == {b.key for b in CHILD_BREAKDOWNS}
DESCRIPTIVE_CATEGORIES = tuple(
    (b.key, code) for b in DESCRIPTIVE_BREAKDOWNS if b.of_children for code in b.category_codes
)
COUNT_COLUMNS = _count_columns()
TOTAL = ("", "")  # the (breakdown, category) of a measure's total row


def _by_breakdown(breakdowns: tuple[str, ...], total: bool = True) -> str:
    """Each KPI row once for its total (unless `total` is false) and once more per
    child-attribute breakdown asked for, under its category: columns b.breakdown, b.category."""
    pairs = ["('', '')"] if total else []
    pairs += [f"('{key}', {CATEGORY_SQL[key]})" for key in breakdowns]
    return (
        f'CROSS JOIN LATERAL (SELECT breakdown COLLATE "C" AS breakdown,'
        f' category COLLATE "C" AS category FROM (VALUES {", ".join(pairs)})'
        " AS v(breakdown, category)) AS b"
    )


def breakdown_count_columns(measures: tuple[str, ...]) -> dict[str, str]:
    """What a breakdown's categories need of the counts: the states that make the value of each
    measure it is published for (numerator and denominator), P1 (the population of 44-47), and
    the checks of 32.1; the totals take every column."""
    fields = {MEASURES_BY_NUMBER[n].field_name for n in measures} | {"kpi_1"}
    columns = {
        name: sql
        for name, sql in COUNT_COLUMNS.items()
        if name.endswith(("_passed", "_failed", "_incomplete")) and name.rsplit("_", 1)[0] in fields
    }
    if "32.1" in measures:
        columns |= {name: COUNT_COLUMNS[name] for name in ("checks_done", "checks_expected")}
    return columns


def counts_sql(
    scope: str = "true",
    source: str = "npda_kpi",
    breakdowns: tuple[str, ...] = (),
    *,
    total: bool = True,
    columns: dict[str, str] = COUNT_COLUMNS,
) -> str:
    """Sums of `columns` per area (of `scope`), for the total and/or the breakdowns' categories:
    rows of level, code, breakdown, category, then the columns in order."""
    unit_sums = ",\n            ".join(f"{sql} AS {name}" for name, sql in columns.items())
    level_sums = ",\n        ".join(f"coalesce(sum(c.{n}), 0)::bigint AS {n}" for n in columns)
    return f"""
    WITH unit_counts AS MATERIALIZED (  -- once, whatever the plan of the join below
        SELECT paediatric_diabetes_unit_id COLLATE "C" AS pdu, b.breakdown, b.category,
            {unit_sums}
        FROM {source} {_by_breakdown(breakdowns, total)}
        WHERE audit_period_id = %(period)s
        GROUP BY 1, b.breakdown, b.category
    )
    SELECT a.level, a.code, c.breakdown, c.category,
        {level_sums}
    FROM unit_counts c JOIN {UNIT_AREA_TABLE} a ON a.pdu = c.pdu
    WHERE {scope}
    GROUP BY a.level, a.code, c.breakdown, c.category"""


def contributors_sql(source: str = "npda_kpi", breakdowns: tuple[str, ...] = ()) -> str:
    """44/45: every child contributing a per-child median HbA1c, with its unit, type group and
    (with breakdowns) its category in each child-attribute breakdown."""
    type_group = " ".join(
        f"WHEN {condition} THEN '{key}'"
        for key, condition in DIABETES_TYPES.items()
        if key != "all"
    )
    categories = "".join(f", {CATEGORY_SQL[key]} AS {key}" for key in breakdowns)
    return f"""
        SELECT paediatric_diabetes_unit_id AS pdu, hba1c_median AS m,
            CASE {type_group} END AS type_group{categories}
        FROM {source} WHERE audit_period_id = %(period)s AND kpi_44 = 1"""


def pooled_values(
    cursor, params: dict, source: str, breakdowns: tuple[str, ...], areas: set | None
):
    """n, mean, SD and median of the per-child medians of every area (of `areas`, when given),
    pooled from the children (never from unit figures): for all types (is_total) and each type
    group; with breakdowns, for every area and category too (all types: the diabetes-type
    breakdown holds the type groups). One query for the children, then a group-by per level
    (an SQL median per area would sort every child once per level it counts in)."""
    cursor.execute(contributors_sql(source, breakdowns), params)
    names = ["pdu", "m", "type_group", *breakdowns]
    children = pd.DataFrame(cursor.fetchall(), columns=names)
    children["m"] = children["m"].astype(float)
    cursor.execute(f"SELECT pdu, level, code FROM {UNIT_AREA_TABLE}")
    unit_areas = pd.DataFrame(cursor.fetchall(), columns=["pdu", "level", "code"])
    if areas is not None:
        keep = [
            (lv, cd) in areas
            for lv, cd in zip(unit_areas["level"], unit_areas["code"], strict=True)
        ]
        unit_areas = unit_areas[keep]
    # Integer keys for the joins and groupings (string keys cost most of the time).
    units = pd.Index(unit_areas["pdu"].unique())
    unit_areas = unit_areas.assign(unit=units.get_indexer(unit_areas["pdu"]))
    children = children.assign(unit=units.get_indexer(children["pdu"]))
    children = children[children["unit"] >= 0]
    area_keys = unit_areas[["level", "code"]].drop_duplicates().reset_index(drop=True)
    unit_areas = unit_areas.merge(area_keys.reset_index(names="area"), on=["level", "code"])
    parts = [("", pd.Series("", index=children.index), pd.Series("all", index=children.index))]
    parts.append(("", pd.Series("", index=children.index), children["type_group"]))
    parts += [(key, children[key], pd.Series("all", index=children.index)) for key in breakdowns]
    long = pd.concat(
        [
            pd.DataFrame(
                {"unit": children["unit"], "m": children["m"], "breakdown": key,
                 "category": category, "group": group}
            ).dropna(subset=["group"])
            for key, category, group in parts
        ],
        ignore_index=True,
    )  # fmt: skip
    for name in ("breakdown", "category", "group"):
        long[name] = long[name].astype("category")
    joined = long.merge(unit_areas[["unit", "area"]], on="unit")
    pooled = joined.groupby(["area", "breakdown", "category", "group"], observed=True, sort=False)
    rows = pooled["m"].agg(["count", "mean", "std", "median"]).reset_index()
    rows = rows.merge(area_keys.reset_index(names="area"), on="area")
    rows = rows.rename(columns={"count": "n", "std": "sd"})
    rows["is_total"] = rows["group"] == "all"
    rows["type_group"] = rows["group"].astype(object).where(~rows["is_total"], None)
    for name in ("breakdown", "category"):
        rows[name] = rows[name].astype(object)
    return rows.to_dict("records")


# Statistics ------------------------------------------------------------------------------------


@dataclass
class Areas:
    """Every area of every level of one period, as parallel arrays (one entry per area, or
    per area and breakdown category: `breakdowns` and `categories` are '' for the totals)."""

    levels: np.ndarray
    codes: np.ndarray
    counts: dict[str, np.ndarray]
    values: dict[str, np.ndarray]
    breakdowns: np.ndarray
    categories: np.ndarray

    @classmethod
    def from_queries(
        cls, count_blocks: list[tuple[list[tuple], list[str]]], value_rows: list[dict]
    ) -> "Areas":
        """From blocks of `counts_sql` rows (tuples: the four keys, then the block's columns;
        a column a block lacks is 0 there) and the rows of `pooled_values`."""
        keys = [row[:4] for rows, _ in count_blocks for row in rows]
        numbers = np.zeros((len(keys), len(COUNT_COLUMNS)))
        start, index = 0, {name: i for i, name in enumerate(COUNT_COLUMNS)}
        for rows, names in count_blocks:
            block = np.array([row[4:] for row in rows], dtype=float).reshape(len(rows), len(names))
            numbers[start : start + len(rows), [index[n] for n in names]] = block
            start += len(rows)
        counts = {name: numbers[:, i] for i, name in enumerate(COUNT_COLUMNS)}
        position = {key: i for i, key in enumerate(keys)}
        value_names = [f"{s}_{t}" for t in DIABETES_TYPES for s in ("n", "mean", "sd", "median")]
        values = {name: np.full(len(keys), np.nan) for name in value_names}
        for r in value_rows:
            group = "all" if r["is_total"] else r["type_group"]
            i = position.get((r["level"], r["code"], r["breakdown"], r["category"]))
            if group is None or i is None:  # a contributor of no valid type: in "all" only
                continue
            for s in ("n", "mean", "sd", "median"):
                values[f"{s}_{group}"][i] = _float(r[s])
        for t in DIABETES_TYPES:  # no contributors: n = 0, not NaN
            values[f"n_{t}"] = np.nan_to_num(values[f"n_{t}"])

        def column(i: int) -> np.ndarray:
            return np.array([key[i] for key in keys], dtype=object)

        return cls(column(0), column(1), counts, values, column(2), column(3))


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
    if number == "1":
        return [_descriptive_counts(c, i) for i in range(size)]
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
                **(_blood_gas(v, i) if number == "47" else {}),
            }
            for i in range(size)
        ]
    return [{} for _ in range(size)]


def _descriptive_counts(c: dict[str, np.ndarray], i: int) -> dict:
    """KPI 1's live details: P1 children by each 2026 descriptive item (none recorded: {})."""
    counts: dict[str, dict[str, int]] = {}
    for key, code in DESCRIPTIVE_CATEGORIES:
        counts.setdefault(key, {})[code] = int(c[f"descriptive_{key}_{code}"][i])
    recorded = any(n for by in counts.values() for code, n in by.items() if code != "not_recorded")
    return {"descriptive": counts} if recorded else {}


BLOOD_GAS = ("ph", "bicarbonate")
BLOOD_GAS_STATISTICS = ("n", "children", "q1", "median", "q3")  # n: admissions with a value


def _blood_gas(v: dict[str, np.ndarray], i: int) -> dict:
    """KPI 47's live details: first pH and bicarbonate over its qualifying admissions."""
    if not any(v[f"{gas}_n"][i] for gas in BLOOD_GAS):
        return {}
    return {
        f"first_{gas}": {s: json_number(v[f"{gas}_{s}"][i]) for s in BLOOD_GAS_STATISTICS}
        for gas in BLOOD_GAS
    }


def blood_gas_sql(source: str, scope: str) -> str:
    """Per area: n and quartiles (percentile_cont) of the first pH and bicarbonate of every
    qualifying DKA admission of its children, pooled from the admissions (kpis.md §7.1)."""
    parts = " UNION ALL ".join(
        f"SELECT paediatric_diabetes_unit_id AS pdu, patient_id, '{gas}' AS gas,"
        f" unnest(dka_first_{gas}) AS x"
        f" FROM {source} WHERE audit_period_id = %(period)s AND kpi_1 = 1"
        f" AND cardinality(dka_first_{gas}) > 0"
        for gas in BLOOD_GAS
    )
    return f"""
        SELECT a.level, a.code, g.gas, count(*), count(DISTINCT g.patient_id),
            percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY g.x)
        FROM ({parts}) g JOIN {UNIT_AREA_TABLE} a ON a.pdu = g.pdu
        WHERE {scope}
        GROUP BY a.level, a.code, g.gas"""


def add_blood_gas(cursor, params: dict, areas: Areas, source: str, scope: str) -> None:
    """The blood-gas values of every area's total row (NaN elsewhere, counts 0 when none)."""
    size = len(areas.codes)
    for gas in BLOOD_GAS:
        for s in BLOOD_GAS_STATISTICS:
            empty = 0.0 if s in ("n", "children") else np.nan
            areas.values[f"{gas}_{s}"] = np.full(size, empty)
    total = {
        (lv, cd): i
        for i, (lv, cd, b) in enumerate(
            zip(areas.levels, areas.codes, areas.breakdowns, strict=True)
        )
        if b == ""
    }
    cursor.execute(blood_gas_sql(source, scope), params)
    for level, code, gas, n, children, (q1, median, q3) in cursor.fetchall():
        i = total.get((level, code))
        if i is not None:
            values = (n, children, q1, median, q3)
            for name, x in zip(BLOOD_GAS_STATISTICS, values, strict=True):
                areas.values[f"{gas}_{name}"][i] = x


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


def measure_statistics(areas: Areas, measure: Measure, with_details: bool = True) -> MeasureStats:
    kind = RULES[measure.number].value_kind
    value = _value(kind, areas, measure)
    stats = MeasureStats(value=value, ci=_intervals(kind, areas, measure, value))
    stats.extra = _extra_columns(kind, areas, measure)
    stats.details = _details(kind, areas, measure, stats) if with_details else None
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
NO_DETAILS = json.dumps({})


def measure_columns(
    areas: Areas, measure: Measure, with_details: bool = True
) -> dict[str, np.ndarray]:
    """Every output column of one measure, one entry per area (the live row's columns)."""
    size = len(areas.codes)
    stats = measure_statistics(areas, measure, with_details)
    columns = {
        **{state: areas.counts[f"{measure.field_name}_{state}"] for state in STATES},
        "denominator": _denominator(areas, measure),
        "value": stats.value,
        "ci95_low": stats.ci[0],
        "ci95_high": stats.ci[1],
        "ci998_low": stats.ci[2],
        "ci998_high": stats.ci[3],
        **stats.extra,
        "measure_id": np.full(size, measure.number, dtype=object),
    }
    if with_details:
        columns["details"] = np.array(
            [json.dumps(d) if d else NO_DETAILS for d in stats.details], dtype=object
        )
    return columns


def not_collected_areas(areas: Areas, measure: Measure) -> np.ndarray:
    """The areas whose children's dataset does not collect the measure: every child is "not
    available" (kpis.md §7.1); all False for a measure every dataset collects."""
    if measure.number not in NOT_COLLECTED_SOMETIMES:
        return np.zeros(len(areas.codes), dtype=bool)
    counts, f = areas.counts, measure.field_name
    scored = sum(counts[f"{f}_{state}"] for state in STATES)
    return (counts[f"{f}_not_available"] > 0) & (scored == 0)


def _null_where_not_collected(areas: Areas, measure: Measure, columns: dict) -> None:
    """Such an area's live counts and value are null, not zero."""
    not_collected = not_collected_areas(areas, measure)
    for name in (*STATES, "denominator", "value", "ci95_low", "ci95_high", "ci998_low",
                 "ci998_high"):  # fmt: skip
        columns[name] = np.where(not_collected, np.nan, np.asarray(columns[name], dtype=float))


def _rows(areas: Areas) -> dict[str, np.ndarray]:
    """The (area x measure) rows of the live tables as one array per column, area-major. (A
    release publishes a measure that is not collected through its own rule: releases.py.)"""
    per_measure = [measure_columns(areas, measure) for measure in MEASURES]
    for measure, columns in zip(MEASURES, per_measure, strict=True):
        if measure.number in NOT_COLLECTED_SOMETIMES:
            _null_where_not_collected(areas, measure, columns)
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


def copy_rows(cursor, table: str, columns: dict[str, tuple[str, object]]) -> None:
    """Bulk insert with one binary COPY: column name -> (PostgreSQL type, values of equal
    length). NaN and None stand for NULL in number columns (binary COPY would store a NaN)."""
    types, values = [], []
    for pg_type, column in columns.values():
        items = np.asarray(column).tolist()
        if pg_type in ("float8", "int4", "int8"):
            items = [None if x is None or x != x else x for x in items]
            if pg_type != "float8":
                items = [None if x is None else int(x) for x in items]
        types.append(pg_type)
        values.append(items)
    names = ", ".join(columns)
    with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for row in zip(*values, strict=True):
            copy.write_row(row)


def stage(cursor, numbers: list[str], texts: list[str], columns: dict) -> None:
    """Columns of numbers and texts (sequences of equal length) into the temporary stage table
    with one binary COPY; NaN stands for NULL."""
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE_TABLE}")
    types = ", ".join([f"{n} float8" for n in numbers] + [f"{t} text" for t in texts])
    cursor.execute(f"CREATE TEMPORARY TABLE {STAGE_TABLE} ({types})")
    copy_rows(
        cursor,
        STAGE_TABLE,
        {name: ("float8", columns[name]) for name in numbers}
        | {name: ("text", columns[name]) for name in texts},
    )


def _insert_level_sql(level: str) -> str:
    model, _ = LEVELS[level]
    area = [model.area_column()] if model.AREA_FIELD else []
    numbers = [f"NULLIF({n}, 'NaN')::{t}" for n, t in NUMBER_FIELDS.items()]
    texts = [f"{t}::jsonb" if t == "details" else t for t in TEXT_FIELDS]
    return f"""
        INSERT INTO {model._meta.db_table} ({", ".join([*area, *NUMBER_FIELDS, *TEXT_FIELDS])},
            audit_period_id, calculation_date, computed_at)
        SELECT {", ".join([*(["code"] if area else []), *numbers, *texts])},
            %(period)s, %(c)s, now()
        FROM {STAGE_TABLE} WHERE level = '{level}'"""


def fetch_dicts(cursor, sql: str, params: dict) -> list[dict]:
    cursor.execute(sql, params)
    names = [col.name for col in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def create_unit_area_table(cursor) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {UNIT_AREA_TABLE}")
    cursor.execute(f"CREATE TEMPORARY TABLE {UNIT_AREA_TABLE} AS {UNIT_AREA_SQL}")
    cursor.execute(f"ANALYZE {UNIT_AREA_TABLE}")


def pooled_areas(
    cursor,
    params: dict,
    *,
    scope: str = "true",
    source: str = "npda_kpi",
    breakdowns: tuple[str, ...] = (),
) -> Areas:
    """The pooled counts and values of every area (of `scope`) from the KPI rows of `source`,
    with the child-attribute breakdowns asked for (keys of CATEGORY_SQL); needs the unit-area
    table."""
    cursor.execute(counts_sql(scope, source), params)
    blocks = [(cursor.fetchall(), list(COUNT_COLUMNS))]
    by_measures: dict[tuple[str, ...], list[str]] = {}  # one query per set of measures
    for key in breakdowns:
        by_measures.setdefault(BREAKDOWNS_BY_KEY[key].measures, []).append(key)
    for measures, keys in by_measures.items():
        columns = breakdown_count_columns(measures)
        sql = counts_sql(scope, source, tuple(keys), total=False, columns=columns)
        cursor.execute(sql, params)
        blocks.append((cursor.fetchall(), list(columns)))
    areas = {(row[0], row[1]) for row in blocks[0][0]}
    value_rows = pooled_values(cursor, params, source, breakdowns, areas)
    pooled = Areas.from_queries(blocks, value_rows)
    add_blood_gas(cursor, params, pooled, source, scope)
    return pooled


def aggregate(cursor, params: dict, units: list[str] | None) -> int:
    """Replace the period's live aggregates of every area of the given units (every area when
    None) at every level; returns the rows written. Areas without the units are unchanged."""
    create_unit_area_table(cursor)
    areas = pooled_areas(cursor, params, scope=_affected_areas_filter(units))
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
    sql = f"DELETE FROM {model._meta.db_table} WHERE audit_period_id = %(period)s"
    if not units:
        return sql
    holding = f"SELECT code FROM {UNIT_AREA_TABLE} WHERE level = '{level}' AND pdu = ANY(%(units)s)"
    if model.AREA_FIELD:
        return f"{sql} AND {model.area_column()} IN ({holding})"
    return f"{sql} AND EXISTS ({holding})"
