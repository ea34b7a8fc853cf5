"""The rows of a release with their true figures (aggregation.releases step 3): every area's
total of every measure, its breakdown categories and companion figures, and the benchmarking of
the totals, in the units published (% for proportions, mmol/mol, admissions per 100 children,
children for counts). Each count is named by the quantity it counts, so that disclosure control
treats a count shown in several rows as one cell (aggregation.disclosure)."""

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from constants.breakdowns import (
    BREAKDOWNS_BY_KEY,
    CASE_MIX_MEASURE,
    CHILD_BREAKDOWNS,
    EQUITY_BREAKDOWNS,
    EQUITY_LEVELS,
    NOT_RECORDED,
)
from constants.kpis import MEASURES, MEASURES_BY_NUMBER

from . import statistics as st
from .benchmarking import MeasureRows, benchmark_measure
from .figures import LIMITS, figures, per_100
from .measures import RULES, CheckRate, Contribution, Membership
from .models import OutlierPolicy
from .rollup import QUARTERS, Areas, measure_columns, not_collected_areas

# Quantities: what a cell counts ------------------------------------------------------------------


def numerator_quantity(number: str) -> str:
    """The quantity a measure's numerator counts; measures counting the same children share it
    (KPI 1 and every P1 denominator; the HbA1c contributors of 44 and 45)."""
    rule = RULES[number]
    if isinstance(rule, Membership):
        return f"pop:{rule.population}"
    if isinstance(rule, CheckRate):
        return "checks_done"
    if isinstance(rule, Contribution):
        return f"events:{number}" if rule.value_kind == "events" else f"children:{rule.contributes}"
    return f"passed:{number}"


def denominator_quantity(number: str) -> str | None:
    rule = RULES[number]
    if isinstance(rule, Membership):
        return None
    if isinstance(rule, CheckRate):
        return "checks_expected"
    return f"pop:{rule.population}"


def children_with_admission_quantity(number: str) -> str:
    return f"children:{RULES[number].contributes}"


# Building the rows (true figures) -----------------------------------------------------------------

TRUE_COLUMNS = ("num_true", "den_true", "value_true", "ci95_low", "ci95_high", "ci998_low")
TRUE_COLUMNS += ("ci998_high", "sd")


def _frame(
    areas: Areas,
    mask: np.ndarray,
    number: str,
    kind: str,
    *,
    num_key: str,
    den_key: str = "",
    breakdown: str | None = None,
    category: str | None = None,
    den_is_total: bool = False,
    **true_columns: np.ndarray,
) -> pd.DataFrame:
    """Rows of one measure for the areas (keys) selected by `mask`. A row's counts are cells
    of its own (breakdown, category), except a denominator that is the area's total
    (`den_is_total`, such as P1 beside children with an admission)."""
    frame = pd.DataFrame(
        {
            "level": areas.levels[mask],
            "code": areas.codes[mask],
            "measure": number,
            "breakdown": areas.breakdowns[mask] if breakdown is None else breakdown,
            "category": areas.categories[mask] if category is None else category,
            "kind": kind,
            "num_key": num_key,
            "den_key": den_key,
        }
    )
    for name in TRUE_COLUMNS:
        values = true_columns.get(name)
        frame[name] = np.nan if values is None else np.asarray(values, dtype=float)[mask]
    frame["num_breakdown"], frame["num_category"] = frame["breakdown"], frame["category"]
    frame["den_breakdown"] = "" if den_is_total or not den_key else frame["breakdown"]
    frame["den_category"] = "" if den_is_total or not den_key else frame["category"]
    return frame


def _percent(x):
    return np.asarray(x, dtype=float) * 100


def _measure_rows(areas: Areas, mask: np.ndarray, number: str) -> pd.DataFrame:
    """A measure's own rows: its totals and the child-attribute breakdown categories."""
    kind = RULES[number].value_kind
    measure = MEASURES_BY_NUMBER[number]
    f = figures(number, measure_columns(areas, measure, with_details=False))
    den_key = denominator_quantity(number) or ""
    if not_collected_areas(areas, measure).any():  # no P1 here: nobody was scored
        den_key = f"not_collected:{number}"
    return _frame(
        areas, mask, number, kind, num_key=numerator_quantity(number),
        den_key=den_key, num_true=f["num"], den_true=f["den"],
        value_true=f["value"], sd=f["sd"], **{name: f[name] for name in LIMITS},
    )  # fmt: skip


def _share(x, n) -> dict[str, np.ndarray]:
    """A companion proportion in %, with its Wilson limits."""
    low95, high95 = st.wilson(x, n, st.Z95)
    low998, high998 = st.wilson(x, n, st.Z998)
    return {
        "num_true": x,
        "den_true": n,
        "value_true": _percent(np.where(n > 0, x / np.where(n > 0, n, 1), np.nan)),
        "ci95_low": _percent(low95),
        "ci95_high": _percent(high95),
        "ci998_low": _percent(low998),
        "ci998_high": _percent(high998),
    }


def _companion_rows(areas: Areas, total: np.ndarray, number: str) -> list[pd.DataFrame]:
    """Quarter, leaving-reason and companion rows (kpis.md §3.2, §4.5, §4.7 rule 4, §6), from
    the totals' pooled counts. Quarters and reasons add up to the measure's total."""
    c = areas.counts

    def counted(breakdown: str, category: str, x: np.ndarray) -> pd.DataFrame:
        return _frame(
            areas, total, number, "count", num_key=numerator_quantity(number),
            breakdown=breakdown, category=category, num_true=x, value_true=x,
        )  # fmt: skip

    def quarters(prefix: str) -> list[pd.DataFrame]:
        return [counted("quarter", f"Q{q}", c[f"{prefix}{q}"]) for q in QUARTERS]

    if number == "2":
        return quarters("new_diagnoses_q")
    if number == "9":
        reasons = [c[f"leavers_reason_{r}"] for r in (1, 2, 3)]
        reasons.append(c["kpi_9_passed"] - sum(reasons))
        codes = ("1", "2", "3", NOT_RECORDED[0])
        return quarters("leavers_q") + [
            counted("leaving_reason", code, x) for code, x in zip(codes, reasons, strict=True)
        ]
    if number == "36":
        smokers = _share(c["current_smokers_passed"], c["current_smokers"])
        return [
            _frame(
                areas, total, number, "proportion", num_key="passed:36:current_smokers",
                den_key="current_smokers", breakdown="current_smokers",
                category="current_smokers", **smokers,
            )
        ]  # fmt: skip
    if number in ("46", "47"):
        prefix = "admissions" if number == "46" else "dka_admissions"
        children = _share(c[f"kpi_{number}_passed"], c["kpi_1_passed"])
        return [
            *quarters(f"{prefix}_q"),
            _frame(
                areas, total, number, "proportion",
                num_key=children_with_admission_quantity(number), den_key="pop:p1",
                breakdown="children", category="with_admission", den_is_total=True, **children,
            ),
            counted("diagnosis", "within_90_days", c[f"{prefix}_near_diagnosis"]),
        ]  # fmt: skip
    return []


def _blood_gas_rows(areas: Areas, total: np.ndarray) -> list[pd.DataFrame]:
    """47 (2026 dataset): first pH and bicarbonate quartiles over the area's qualifying DKA
    admissions with a value. Each is an average-like value whose count is the children those
    admissions belong to: withheld when fewer than 8 children contribute (disclosure-control.md
    §3), however many admissions they had."""
    v = areas.values
    return [
        _frame(
            areas, total, "47", "median", num_key=f"blood_gas_{gas}_children",
            breakdown="first_blood_gas", category=f"{gas}_{statistic}",
            num_true=v[f"{gas}_children"], value_true=v[f"{gas}_{statistic}"],
        ).assign(places=places)
        for gas, places in (("ph", 2), ("bicarbonate", 1))
        for statistic in ("q1", "median", "q3")
    ]  # fmt: skip


def complete_grid(areas: Areas, keys: tuple[str, ...]) -> Areas:
    """Every category of the given breakdowns for every area, zero where no child is in it
    (a tidy table, and constraints that add up)."""
    totals = np.flatnonzero(areas.breakdowns == "")
    levels, codes = areas.levels[totals], areas.codes[totals]
    wanted = [("", "")] + [
        (b.key, code) for b in CHILD_BREAKDOWNS if b.key in keys
        for code in b.category_codes
    ]  # fmt: skip
    grid = pd.DataFrame(
        {
            "level": np.repeat(levels, len(wanted)),
            "code": np.repeat(codes, len(wanted)),
            "breakdown": np.tile([w[0] for w in wanted], len(totals)),
            "category": np.tile([w[1] for w in wanted], len(totals)),
        }
    )
    have = pd.DataFrame(
        {
            "level": areas.levels,
            "code": areas.codes,
            "breakdown": areas.breakdowns,
            "category": areas.categories,
            "index": np.arange(len(areas.codes)),
        }
    )
    index = grid.merge(have, how="left", on=["level", "code", "breakdown", "category"])["index"]
    found = index.notna().to_numpy()
    take = index.fillna(0).to_numpy(dtype=np.int64)

    def pick(values: np.ndarray, empty: float) -> np.ndarray:
        return np.where(found, values[take], empty)

    return Areas(
        grid["level"].to_numpy(object),
        grid["code"].to_numpy(object),
        {name: pick(v, 0.0) for name, v in areas.counts.items()},
        {
            name: pick(v, 0.0 if name.startswith("n_") else np.nan)
            for name, v in areas.values.items()
        },
        grid["breakdown"].to_numpy(object),
        grid["category"].to_numpy(object),
    )


@dataclass(frozen=True)
class Benchmarking:
    """How a release is benchmarked: comparisons once the period has ended; funnels and
    outlier classes (by each measure's policy) for a final release."""

    policies: dict[str, OutlierPolicy]
    with_funnel: bool


def breakdown_keys(*, equity: bool, dataset_year: int = 2021) -> tuple[str, ...]:
    """The child-attribute breakdowns of a release: the equity ones in final releases only
    (they are annual; in-year releases carry the totals, the age and type splits and the
    companion figures), the 2026 dataset's descriptive figures from 2026-27 in every release."""
    return tuple(
        b.key
        for b in CHILD_BREAKDOWNS
        if (equity or b.key not in EQUITY_BREAKDOWNS) and dataset_year >= b.from_dataset_year
    )


def build_rows(
    areas: Areas,
    *,
    equity: bool,
    benchmarking: Benchmarking | None = None,
    dataset_year: int = 2021,
) -> tuple[pd.DataFrame, dict[str, dict]]:
    """Every row of the release with its true figures (and benchmarking), in registry order;
    and the funnel parameters of each measure that has a funnel."""
    keys = breakdown_keys(equity=equity, dataset_year=dataset_year)
    areas = complete_grid(areas, keys)
    total = areas.breakdowns == ""
    of_key = {key: areas.breakdowns == key for key in keys}
    equity_area = pd.Series(areas.levels).isin(EQUITY_LEVELS).to_numpy()
    frames, funnels = [], {}
    for measure in MEASURES:
        number = measure.number
        mask = total.copy()
        for key in keys:
            if number in BREAKDOWNS_BY_KEY[key].measures:
                scope = (
                    equity_area if key in EQUITY_BREAKDOWNS and number != CASE_MIX_MEASURE else True
                )
                mask |= of_key[key] & scope
        frame = _measure_rows(areas, mask, number)
        if benchmarking is not None:
            funnel = _benchmark_frame(frame, areas, mask, measure, benchmarking)
            if funnel:
                funnels[number] = funnel
        frames.append(frame)
        frames += _companion_rows(areas, total, number)
        if (
            number == "47"
            and dataset_year >= BREAKDOWNS_BY_KEY["first_blood_gas"].from_dataset_year
        ):
            frames += _blood_gas_rows(areas, total)
    rows = pd.concat(frames, ignore_index=True)
    for name in BENCHMARK_TEXT:
        rows[name] = rows[name].fillna("") if name in rows else ""
    for name in BENCHMARK_NUMBERS:
        rows[name] = rows.get(name, np.nan)
    return rows, funnels


# Benchmarking ----------------------------------------------------------------------------------

BENCHMARK_TEXT = ("comparison", "comparison_5", "outlier", "outlier_direction", "funnel_method")
BENCHMARK_NUMBERS = (
    "funnel_n",
    "funnel_lower_95",
    "funnel_upper_95",
    "funnel_lower_998",
    "funnel_upper_998",
    "z_score",
)
FUNNEL_COLUMNS = (*BENCHMARK_TEXT[2:], *BENCHMARK_NUMBERS)


def _benchmark_frame(frame, areas: Areas, mask, measure, benchmarking: Benchmarking) -> dict:
    """Compare the measure's totals with England and Wales (and funnel the units) on the true
    figures; the results go into `frame` in display units, the funnel on the row of the figure
    it classifies (for 44 the type 1 mean). The grid is area-major, so the totals and the
    type 1 rows list the areas in one order. Returns the funnel parameters, if any."""
    number = measure.number
    total = areas.breakdowns == ""
    type_1 = (areas.breakdowns == "diabetes_type") & (areas.categories == "1")
    c = measure_columns(areas, measure, with_details=False)
    columns = {name: c[name][total] for name in c if name != "measure_id"}
    if type_1.any():
        for name in ("n", "mean", "sd"):
            columns[f"type1_{name}"] = areas.values[f"{name}_all"][type_1]
    else:
        for name in ("n", "mean", "sd"):
            columns[f"type1_{name}"] = np.full(int(total.sum()), np.nan)
    rows = MeasureRows(areas.levels[total], areas.codes[total], columns)
    result = benchmark_measure(
        rows, measure, benchmarking.policies[number], with_funnel=benchmarking.with_funnel
    )
    in_frame = np.flatnonzero(total[mask])
    for name in ("comparison", "comparison_5"):
        frame[name] = ""
        frame.loc[in_frame, name] = result[name]
    funnel_rows = np.flatnonzero(type_1[mask]) if number == "44" else in_frame
    scaled = _funnel_in_display_units(result, RULES[number].value_kind, columns)
    if len(funnel_rows) == len(in_frame):
        for name in FUNNEL_COLUMNS:
            frame[name] = "" if name in BENCHMARK_TEXT else np.nan
            frame.loc[funnel_rows, name] = np.asarray(scaled[name])
    national = rows.national
    if national is not None and result["funnel"][national]:
        return json.loads(result["funnel"][national])
    return {}


CLASS_COLUMNS = ("funnel_n", "value_true", "funnel_lower_95", "funnel_upper_95")
CLASS_COLUMNS += ("funnel_lower_998", "funnel_upper_998", "z_score", "outlier", "outlier_direction")


def unit_outlier_classes(rows: pd.DataFrame, measures: list[str]) -> pd.DataFrame:
    """benchmarking-methods.md §6: every unit's class on the measures from its true figures,
    taken before disclosure control withholds any (the rows the funnel classes: for 44 the
    type 1 mean), indexed as in `rows`."""
    classed = (rows["level"] == "pdu") & rows["measure"].isin(measures) & (rows["outlier"] != "")
    return rows.loc[classed, ["code", "measure", *CLASS_COLUMNS]].copy()


def _funnel_in_display_units(result: dict, kind: str, columns: dict) -> dict:
    """Funnel limits on the scale rows are published in: % for proportions, per 100 children
    for admissions (the engine's are counts); mmol/mol unchanged."""
    scaled = dict(result)
    limits = ("funnel_lower_95", "funnel_upper_95", "funnel_lower_998", "funnel_upper_998")
    for name in limits:
        if name not in result:
            continue
        if kind in ("proportion", "check_proportion"):
            scaled[name] = _percent(np.asarray(result[name], dtype=float))
        elif kind == "events":
            scaled[name] = per_100(result[name], columns["n_population"])
    return scaled
