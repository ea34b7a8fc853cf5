"""Releases: frozen, disclosure-controlled snapshots of an audit period's results, the only
figures that leave the audit team (disclosure-control.md §5.1).

`publish_release` makes one in a single transaction:
1. freeze: every child of every unit's active submission is scored as at the release's
   calculation date C into a temporary KPI table (the same SQL as the live engine);
2. pool it to every level, with the child-attribute breakdowns (the live roll-up's functions);
3. build every published row (totals, breakdown categories, companion figures) with its true
   counts and statistics, and benchmark the totals (comparisons once the period has ended,
   funnels and outlier classes for a final release);
4. disclosure control: primary and secondary suppression over the cells and constraints,
   withheld derived values, rounding (`aggregation.disclosure`);
5. the automatic release checks of §5.2: if one fails, nothing is written and the error lists
   each failure with its area and measure;
6. write the rows, the release's geography and per-measure summaries, the suppression log, and
   mark the release it replaces as superseded (never deleted).
"""

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from constants import disclosure as sdc
from constants.breakdowns import (
    BREAKDOWNS,
    BREAKDOWNS_BY_KEY,
    CASE_MIX_MEASURE,
    CHILD_BREAKDOWNS,
    EQUITY_BREAKDOWNS,
    EQUITY_LEVELS,
    NOT_RECORDED,
)
from constants.kpis import MEASURES, MEASURES_BY_NUMBER
from npda import models as m
from npda.identifiers import is_valid_nhs_number

from . import disclosure
from . import statistics as st
from .areas import current_areas
from .benchmarking import METHOD_VERSION, MeasureRows, benchmark_measure
from .figures import LIMITS, figures, per_100
from .measures import RULES, CheckRate, Contribution, Membership
from .models import (
    DisclosurePolicy,
    OutlierPolicy,
    RecomputeRequest,
    Release,
    ReleaseAggregate,
    ReleaseArea,
    ReleaseMeasure,
    SuppressionLogEntry,
)
from .rollup import (
    QUARTERS,
    UNIT_AREA_TABLE,
    Areas,
    copy_rows,
    create_unit_area_table,
    fetch_dicts,
    measure_columns,
    pooled_areas,
)
from .scoring import (
    CHILD_TABLE,
    FACT_TABLE,
    ScoringWindow,
    build_children_sql,
    build_facts_sql,
    build_kpi_table_sql,
)
from .selectors import kpis_are_current
from .services import COMPUTE_LOCK_NAMESPACE

RELEASE_KPI_TABLE = "release_kpi"  # the frozen child-level snapshot, for the transaction
KPI_METHOD_VERSION = "kpis.md 2021 dataset 1"
# Equity breakdowns are annual (published with final releases); in-year releases carry the
# totals, the age and type splits and the companion figures.
DISPLAY_PLACES = 1  # percentages, means and rates are published to 1 decimal place
Progress = Callable[[str], None]


class ReleaseError(ValueError):
    """A release that cannot be made as asked (the message says why)."""


class ReleaseCheckError(ReleaseError):
    """The automatic release checks failed: the release was not created."""

    def __init__(self, failures: list[disclosure.CheckFailure]):
        self.failures = failures
        shown = "\n".join(f"  - {f}" for f in failures[:20])
        more = f"\n  ... and {len(failures) - 20} more" if len(failures) > 20 else ""
        super().__init__(
            f"The release checks failed ({len(failures)} problems); nothing was published:\n"
            f"{shown}{more}"
        )


# Dates -------------------------------------------------------------------------------------------


def quarter_ends(period: m.AuditPeriod) -> list[date]:
    """30 June, 30 September, 31 December and 31 March of the period."""
    year = period.start_date.year
    return [date(year, 6, 30), date(year, 9, 30), date(year, 12, 31), period.end_date]


def calculation_date_for_release(
    period: m.AuditPeriod, kind: str, as_at: date | None, today: date
) -> date:
    """C of a release: the period end for a final release (once the period has ended); a
    quarter end that has passed for a provisional one (by default the latest)."""
    if kind == Release.Kind.FINAL:
        if today <= period.end_date:
            raise ReleaseError(
                f"{period} ends on {period.end_date:%d %B %Y}: a final release can only be made "
                "after it has ended. Make a provisional release instead."
            )
        if as_at not in (None, period.end_date):
            raise ReleaseError("A final release is always as at the end of the audit period.")
        return period.end_date
    passed = [q for q in quarter_ends(period) if q < today]
    if as_at is None:
        if not passed:
            raise ReleaseError(f"No quarter of {period} has ended yet.")
        return passed[-1]
    if as_at not in quarter_ends(period):
        ends = ", ".join(f"{q:%Y-%m-%d}" for q in quarter_ends(period))
        raise ReleaseError(f"--as-at must be a quarter end of {period}: one of {ends}.")
    if as_at not in passed:
        raise ReleaseError(f"The quarter ending {as_at:%d %B %Y} has not ended yet.")
    return as_at


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
    f = figures(number, measure_columns(areas, MEASURES_BY_NUMBER[number], with_details=False))
    return _frame(
        areas, mask, number, kind, num_key=numerator_quantity(number),
        den_key=denominator_quantity(number) or "", num_true=f["num"], den_true=f["den"],
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


def complete_grid(areas: Areas, breakdown_keys: list[str]) -> Areas:
    """Every category of the given breakdowns for every area, zero where no child is in it
    (a tidy table, and constraints that add up)."""
    totals = np.flatnonzero(areas.breakdowns == "")
    levels, codes = areas.levels[totals], areas.codes[totals]
    wanted = [("", "")] + [
        (b.key, code) for b in CHILD_BREAKDOWNS if b.key in breakdown_keys
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


def build_rows(
    areas: Areas, *, equity: bool, benchmarking: Benchmarking | None = None
) -> tuple[pd.DataFrame, dict[str, dict]]:
    """Every row of the release with its true figures (and benchmarking), in registry order;
    and the funnel parameters of each measure that has a funnel."""
    breakdown_keys = [b.key for b in CHILD_BREAKDOWNS if equity or b.key not in EQUITY_BREAKDOWNS]
    areas = complete_grid(areas, breakdown_keys)
    total = areas.breakdowns == ""
    of_key = {key: areas.breakdowns == key for key in breakdown_keys}
    equity_area = np.isin(areas.levels, EQUITY_LEVELS)
    frames, funnels = [], {}
    for measure in MEASURES:
        number = measure.number
        mask = total.copy()
        for key in breakdown_keys:
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


# Disclosure control ------------------------------------------------------------------------------

CELL_ROLE = {"count": "count", "mean": "count", "median": "count"}  # the numerator's role
VALUE_ROLE = {
    "proportion": "percentage",
    "check_proportion": "percentage",
    "mean": "mean",
    "median": "median",
    "events": "rate",
}
CELL_KEY = ["level", "code", "breakdown", "category", "quantity"]


def cells_of(rows: pd.DataFrame, sensitive: set[str]) -> tuple[disclosure.Cells, pd.DataFrame]:
    """The count cells of the rows (one per area, breakdown category and quantity) and the
    cell of each row's numerator and denominator (`num_cell`, `den_cell`; -1 for none). Each
    cell's home (the first row showing it, in registry order) names it in the log."""
    sides = []
    for side in ("num", "den"):
        part = rows.loc[rows[f"{side}_key"] != ""]
        sides.append(
            pd.DataFrame(
                {
                    "row": part.index.to_numpy(),
                    "side": side,
                    "level": part["level"].to_numpy(),
                    "code": part["code"].to_numpy(),
                    "breakdown": part[f"{side}_breakdown"].to_numpy(),
                    "category": part[f"{side}_category"].to_numpy(),
                    "quantity": part[f"{side}_key"].to_numpy(),
                    "true": part[f"{side}_true"].to_numpy(),
                    "measure": part["measure"].to_numpy(),
                    "role": (
                        part["kind"].map(CELL_ROLE).fillna("numerator")
                        if side == "num"
                        else "denominator"
                    ),
                }
            )
        )
    refs = pd.concat(sides, ignore_index=True)
    refs["cell"] = refs.groupby(CELL_KEY, sort=False).ngroup()
    spread = refs.groupby("cell")["true"].agg(["min", "max"])
    if (spread["min"] != spread["max"]).any():  # one quantity, one number: else a bug
        bad = refs[refs["cell"].isin(spread.index[spread["min"] != spread["max"]])]
        raise RuntimeError(f"A published count differs between rows: {bad.head(4).to_dict()}")
    home = refs.drop_duplicates("cell").sort_values("cell")
    cells = disclosure.Cells(
        level=home["level"].to_numpy(object),
        code=home["code"].to_numpy(object),
        breakdown=home["breakdown"].to_numpy(object),
        category=home["category"].to_numpy(object),
        quantity=home["quantity"].to_numpy(object),
        true=home["true"].to_numpy(dtype=np.int64),
        sensitive=home["quantity"].isin(sensitive).to_numpy(),
    )
    for side in ("num", "den"):
        of_side = refs[refs["side"] == side]
        column = np.full(len(rows), -1, dtype=np.int64)
        column[of_side["row"].to_numpy()] = of_side["cell"].to_numpy()
        rows[f"{side}_cell"] = column
    return cells, home[["measure", "role"]].reset_index(drop=True)


def parent_relations(cursor) -> list[tuple[str, str, pd.DataFrame]]:
    """Child areas within parent areas (disclosure-control.md §4): (child level, parent level,
    child code -> parent code), from every unit's area on each level."""
    unit_areas = pd.DataFrame(fetch_dicts(cursor, f"SELECT * FROM {UNIT_AREA_TABLE}", {}))
    pairs = [("pdu", level) for level in ("trust", "icb", "lhb", "network", "openuk")]
    pairs += [("icb", "region"), ("region", "country"), ("lhb", "country")]
    pairs += [("country", "national")]
    relations = []
    for child, parent in pairs:
        parents = unit_areas[unit_areas["level"] == parent][["pdu", "code"]]
        if child == "pdu":
            mapping = parents.rename(columns={"pdu": "child", "code": "parent"})
        else:
            children = unit_areas[unit_areas["level"] == child][["pdu", "code"]]
            mapping = children.merge(parents, on="pdu", suffixes=("_child", "_parent"))
            mapping = mapping.rename(columns={"code_child": "child", "code_parent": "parent"})
        mapping = mapping[["child", "parent"]].drop_duplicates()
        if mapping["child"].duplicated().any():
            raise RuntimeError(f"A {child} area lies in two {parent} areas")
        relations.append((child, parent, mapping))
    return relations


def build_constraints(
    cells: disclosure.Cells, relations: list[tuple[str, str, pd.DataFrame]]
) -> disclosure.Constraints:
    """§4: the categories of every additive breakdown with their total, and child areas with
    their parent area, for each quantity. Each must add up (checked)."""
    frame = pd.DataFrame(
        {
            "level": cells.level,
            "code": cells.code,
            "breakdown": cells.breakdown,
            "category": cells.category,
            "quantity": cells.quantity,
            "true": cells.true,
            "cell": np.arange(len(cells)),
        }
    )
    memberships = []
    additive = [b.key for b in BREAKDOWNS if b.additive]
    parts = frame[frame["breakdown"].isin(additive)]
    totals = frame[frame["breakdown"] == ""][["level", "code", "quantity", "cell", "true"]]
    joined = parts.merge(totals, on=["level", "code", "quantity"], suffixes=("", "_total"))
    joined["name"] = (
        "categories:" + joined["level"] + ":" + joined["code"] + ":" + joined["breakdown"]
        + ":" + joined["quantity"]
    )  # fmt: skip
    memberships.append(joined)
    for child, parent, mapping in relations:
        parts = frame[frame["level"] == child].merge(mapping, left_on="code", right_on="child")
        totals = frame[frame["level"] == parent].rename(columns={"code": "parent"})
        joined = parts.merge(
            totals[["parent", "breakdown", "category", "quantity", "cell", "true"]],
            on=["parent", "breakdown", "category", "quantity"],
            suffixes=("", "_total"),
        )
        joined["name"] = (
            f"{child}s_in_{parent}:" + joined["parent"] + ":" + joined["breakdown"] + ":"
            + joined["category"] + ":" + joined["quantity"]
        )  # fmt: skip
        memberships.append(joined)
    members = pd.concat(
        [j[["name", "cell", "true", "cell_total", "true_total"]] for j in memberships],
        ignore_index=True,
    )
    members["con"] = members.groupby("name", sort=False).ngroup()
    sums = members.groupby("con").agg(parts=("true", "sum"), total=("true_total", "first"))
    if (sums["parts"] != sums["total"]).any():
        bad = members[members["con"].isin(sums.index[sums["parts"] != sums["total"]])]
        raise RuntimeError(f"A constraint does not add up: {bad['name'].iloc[0]}")
    firsts = members.drop_duplicates("con").sort_values("con")
    con = np.concatenate([members["con"].to_numpy(), firsts["con"].to_numpy()])
    cell = np.concatenate([members["cell"].to_numpy(), firsts["cell_total"].to_numpy()])
    is_total = np.concatenate([np.zeros(len(members), bool), np.ones(len(firsts), bool)])
    return disclosure.Constraints(
        con.astype(np.int64), cell.astype(np.int64), is_total, firsts["name"].to_numpy(object)
    )


def control(
    rows: pd.DataFrame,
    cells: disclosure.Cells,
    constraints: disclosure.Constraints,
    policy: disclosure.Policy,
) -> None:
    """Primary and secondary suppression of the cells, then the published columns of every
    row: counts as displayed, values withheld where a count they depend on is suppressed (or
    too few children contribute), rounded to their display precision."""
    disclosure.primary_suppression(cells, policy)
    if policy.secondary_suppression:
        tiebreak = pd.Series(cells.code + "\x00" + cells.category).rank(method="dense")
        disclosure.secondary_suppression(cells, constraints, tiebreak.to_numpy())
    shown = disclosure.displayed_counts(cells, policy)
    has_num, has_den = rows["num_cell"].to_numpy() >= 0, rows["den_cell"].to_numpy() >= 0
    num, den = rows["num_cell"].to_numpy(), rows["den_cell"].to_numpy()
    rows["numerator"] = np.where(has_num, shown[num], np.nan)
    rows["numerator_suppressed"] = has_num & cells.suppressed[num]
    rows["denominator"] = np.where(has_den, shown[den], np.nan)
    rows["denominator_suppressed"] = has_den & cells.suppressed[den]
    reason = np.where(
        rows["numerator_suppressed"], cells.reason[num],
        np.where(rows["denominator_suppressed"], cells.reason[den], ""),
    )  # fmt: skip
    kind = rows["kind"].to_numpy()
    controlled = (rows["level"].to_numpy() != disclosure.NATIONAL) | np.isin(
        rows["num_key"].to_numpy(), list(cells.quantity[cells.sensitive])
    )
    few = (
        np.isin(kind, ("mean", "median")) & controlled
        & (rows["num_true"].to_numpy() > 0)
        & (rows["num_true"].to_numpy() < policy.min_contributors)
    )  # fmt: skip
    reason = np.where((reason == "") & few, sdc.PRIMARY_FEW_CONTRIBUTORS, reason)
    if policy.complement_protection:
        missing = rows["den_true"].to_numpy() - rows["num_true"].to_numpy()
        complement = (
            np.isin(kind, ("proportion", "check_proportion")) & controlled
            & (missing >= 1) & (missing <= policy.small_count_max)
        )  # fmt: skip
        reason = np.where((reason == "") & complement, sdc.COMPLEMENT, reason)
    rows["suppression_reason"] = reason
    withheld = reason != ""
    not_applicable = has_den & (rows["den_true"].to_numpy() == 0)
    value = np.where(kind == "count", rows["numerator"], rows["value_true"])
    value = np.where(withheld | not_applicable, np.nan, value)
    rows["value"] = np.round(value, DISPLAY_PLACES)
    rows["withheld"] = withheld
    rows["value_note"] = np.select(
        [not_applicable & ~withheld, np.isin(reason, (sdc.SECONDARY, sdc.COMPLEMENT)), withheld],
        [sdc.NOTE_NOT_APPLICABLE, sdc.NOTE_SECONDARY, sdc.NOTE_SMALL],
        "",
    )
    hide = withheld | not_applicable
    for name in ("ci95_low", "ci95_high", "ci998_low", "ci998_high", "sd"):
        rows[name] = np.where(hide, np.nan, np.round(rows[name].to_numpy(), DISPLAY_PLACES))
    _withhold_benchmarking(rows, hide, policy)


def _withhold_benchmarking(rows: pd.DataFrame, hide: np.ndarray, policy) -> None:
    """Comparisons and funnel points of withheld values go; the rest is rounded like the value
    (limits 1 dp, z 2 dp) and the funnel's n like any count."""
    if "comparison" not in rows:
        for name in BENCHMARK_TEXT:
            rows[name] = ""
        for name in BENCHMARK_NUMBERS:
            rows[name] = np.nan
    compared = rows["comparison"].to_numpy() != ""
    for name in ("comparison", "comparison_5"):
        rows[name] = np.where(hide & compared, st.NOT_COMPARED, rows[name])
    for name in BENCHMARK_TEXT[2:]:
        rows[name] = np.where(hide, "", rows[name])
    limits = ("funnel_lower_95", "funnel_upper_95", "funnel_lower_998", "funnel_upper_998")
    for name in limits:
        rows[name] = np.where(hide, np.nan, np.round(rows[name].to_numpy(float), DISPLAY_PLACES))
    rows["z_score"] = np.where(hide, np.nan, np.round(rows["z_score"].to_numpy(float), 2))
    n = rows["funnel_n"].to_numpy(float)
    rounded = np.floor(n / policy.rounding_base + 0.5) * policy.rounding_base
    rows["funnel_n"] = np.where(hide, np.nan, rounded)


# Release checks (§5.2) -------------------------------------------------------------------------

IDENTIFIER_FIELDS = re.compile(r"nhs|birth|dob|postcode|reference_number|identifier", re.I)
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$", re.I)
FULL_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{4}\b")
TEXT_OUTPUT_COLUMNS = ("level", "code", "measure", "breakdown", "category", "value_note")


def check_release(
    rows: pd.DataFrame,
    cells: disclosure.Cells,
    homes: pd.DataFrame,
    constraints: disclosure.Constraints,
    policy: disclosure.Policy,
    output_columns: list[str],
) -> list[disclosure.CheckFailure]:
    """Every failure of the automatic release checks, with its area and measure."""
    failures: list[disclosure.CheckFailure] = []
    shown = disclosure.displayed_counts(cells, policy)
    for index in np.flatnonzero(disclosure.small_count_failures(cells, shown, policy)):
        failures.append(
            _cell_failure(
                "displayed count not protected", cells, homes, index,
                f"shows {int(shown[index])} (counts 1-{policy.small_count_max} must be *, "
                f"others multiples of {policy.rounding_base})",
            )
        )  # fmt: skip
    for con in disclosure.single_suppression_failures(cells, constraints):
        total = constraints.cell[(constraints.con == con) & constraints.is_total][0]
        failures.append(
            _cell_failure(
                "one suppressed cell in a constraint", cells, homes, total,
                f"{constraints.names[con]} has exactly one suppressed cell",
            )
        )  # fmt: skip
    withheld = rows["withheld"].to_numpy()
    leaks = (
        withheld
        & (
            rows[["ci95_low", "ci95_high", "ci998_low", "ci998_high", "z_score"]]
            .notna()
            .any(axis=1)
            | ~rows["comparison"].isin(("", st.NOT_COMPARED))
            | (rows["outlier"] != "")
            | rows["funnel_lower_95"].notna()
        ).to_numpy()
    )
    for index in np.flatnonzero(leaks):
        failures.append(_row_failure("withheld value with statistics", rows, index))
    failures += _identifier_failures(rows, output_columns)
    return failures


def _cell_failure(check, cells, homes, index, detail) -> disclosure.CheckFailure:
    return disclosure.CheckFailure(
        check,
        cells.level[index],
        cells.code[index],
        homes["measure"].iloc[index],
        cells.breakdown[index],
        cells.category[index],
        detail,
    )


def _row_failure(check, rows, index, detail="a CI, comparison or funnel point is shown"):
    row = rows.iloc[index]
    return disclosure.CheckFailure(
        check, row["level"], row["code"], row["measure"], row["breakdown"], row["category"], detail
    )


def _identifier_failures(rows: pd.DataFrame, output_columns: list[str]) -> list:
    """No identifier, date of birth or postcode: by field name, and by value pattern (a
    10-digit number passing the NHS check, a UK postcode, a full date)."""
    failures = [
        disclosure.CheckFailure("identifier field", "", "", "", "", "", f"column {name!r}")
        for name in output_columns
        if IDENTIFIER_FIELDS.search(name)
    ]
    for name in TEXT_OUTPUT_COLUMNS:
        for text in pd.unique(rows[name].astype(str)):
            nhs = is_valid_nhs_number(re.sub(r"[ -]", "", text))
            if nhs or POSTCODE.match(text) or FULL_DATE.search(text):
                failures.append(
                    disclosure.CheckFailure(
                        "identifier value", "", "", "", "", "", f"{name} holds an identifier"
                    )
                )
    for name in ("numerator", "denominator"):
        values = rows[name].dropna().astype(np.int64)
        for value in values[values >= 1_000_000_000].unique():
            if is_valid_nhs_number(str(value)):
                failures.append(
                    disclosure.CheckFailure(
                        "identifier value", "", "", "", "", "", f"{name} holds an NHS number"
                    )
                )
    return failures


# Making a release ----------------------------------------------------------------------------


def publish_release(
    period: m.AuditPeriod,
    kind: str,
    *,
    as_at: date | None = None,
    user=None,
    notes: str = "",
    policy: DisclosurePolicy | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> Release:
    """Make a new release of the period (see the module docstring); it supersedes the current
    release of the same period, kind and calculation date. Raises ReleaseError when it cannot
    be made as asked and ReleaseCheckError when the release checks fail (nothing written)."""
    say = progress or (lambda _: None)
    if kind not in Release.Kind.values:
        raise ReleaseError(f"Unknown kind {kind!r}: provisional or final.")
    c = calculation_date_for_release(period, kind, as_at, today or timezone.localdate())
    policy = policy or current_disclosure_policy()
    rules = disclosure.Policy.from_model(policy)
    outlier = outlier_policies(period)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [COMPUTE_LOCK_NAMESPACE, period.pk])
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL jit = off")
        say(f"scoring every child as at {c:%d %B %Y}")
        params = _freeze(cursor, period, c)
        say("pooling to every level, with breakdowns")
        create_unit_area_table(cursor)
        areas = pooled_areas(cursor, params, source=RELEASE_KPI_TABLE, breakdowns=True)
        ended = c >= period.end_date
        final = kind == Release.Kind.FINAL
        benchmarking = Benchmarking(outlier, with_funnel=final) if ended else None
        say("building the rows" + (" and benchmarking them" if ended else ""))
        rows, funnels = build_rows(areas, equity=final, benchmarking=benchmarking)
        say(f"disclosure control ({rules.label}) of {len(rows):,} rows")
        sensitive = {numerator_quantity(n) for n in policy.sensitive_measures}
        cells, homes = cells_of(rows, sensitive)
        constraints = build_constraints(cells, parent_relations(cursor))
        control(rows, cells, constraints, rules)
        failures = check_release(rows, cells, homes, constraints, rules, list(PUBLISHED_COLUMNS))
        if failures:
            raise ReleaseCheckError(failures)
        say("writing the release")
        release = _create_release(period, kind, c, policy, outlier, user, notes, ended)
        _write(cursor, release, rows, cells, homes, funnels)
        cursor.execute(f"DROP TABLE {RELEASE_KPI_TABLE}, {UNIT_AREA_TABLE}")
        release.duration_seconds = time.perf_counter() - started
        release.save(update_fields=["duration_seconds"])
    return release


def current_disclosure_policy() -> DisclosurePolicy:
    current = sdc.CURRENT_POLICY
    return DisclosurePolicy.objects.get(policy_id=current.policy_id, version=current.version)


def outlier_policies(period: m.AuditPeriod) -> dict[str, OutlierPolicy]:
    """The period's outlier policy of every measure (the default where none is set)."""
    stored = {p.measure_id: p for p in OutlierPolicy.objects.filter(audit_period=period)}
    return {
        measure.number: stored.get(measure.number)
        or OutlierPolicy.default(period.pk, measure.number)
        for measure in MEASURES
    }


def _freeze(cursor, period: m.AuditPeriod, c: date) -> dict:
    """Every child of the period scored as at C, in the release's own KPI table: a copy of
    the live KPI rows when they are exactly that (a full run as at C since the last upload,
    nothing queued), else scored afresh with the engine's SQL."""
    window = ScoringWindow(period.pk, period.start_date, period.end_date, c)
    params = window.params() | {"units": None}
    cursor.execute(f"DROP TABLE IF EXISTS {CHILD_TABLE}, {FACT_TABLE}, {RELEASE_KPI_TABLE}")
    if _live_rows_are_as_at(cursor, period, c):
        cursor.execute(
            f"CREATE TEMPORARY TABLE {RELEASE_KPI_TABLE} AS"
            " SELECT * FROM npda_kpi WHERE audit_period_id = %(period)s",
            params,
        )
        return params
    cursor.execute(build_children_sql(None), params)
    cursor.execute(f"ANALYZE {CHILD_TABLE}")
    cursor.execute(build_facts_sql(), params)
    cursor.execute(build_kpi_table_sql(RELEASE_KPI_TABLE), params)
    cursor.execute(f"DROP TABLE {CHILD_TABLE}, {FACT_TABLE}")
    return params


def _live_rows_are_as_at(cursor, period: m.AuditPeriod, c: date) -> bool:
    """Whether the live KPI rows are the period's children scored as at C (the compute lock is
    held, so they cannot change meanwhile)."""
    if (
        not kpis_are_current(period)
        or RecomputeRequest.objects.filter(
            audit_period=period,
            status__in=(RecomputeRequest.Status.QUEUED, RecomputeRequest.Status.RUNNING),
        ).exists()
    ):
        return False
    cursor.execute(
        "SELECT count(*), count(*) FILTER (WHERE calculation_date <> %s)"
        " FROM npda_kpi WHERE audit_period_id = %s",
        [c, period.pk],
    )
    rows, other_dates = cursor.fetchone()
    return rows > 0 and other_dates == 0


def _create_release(period, kind, c, policy, outlier, user, notes, ended) -> Release:
    """The release record; the current one of the same period, kind and date is superseded."""
    applied = {number: p.as_json() for number, p in sorted(outlier.items())}
    digest = hashlib.sha256(json.dumps(applied, sort_keys=True).encode()).hexdigest()[:10]
    now = timezone.now()
    previous = (
        Release.objects.select_for_update()
        .filter(audit_period=period, kind=kind, calculation_date=c, superseded_at__isnull=True)
        .first()
    )
    if previous:  # no longer current before the new one is (one current release per date)
        previous.superseded_at = now
        previous.save(update_fields=["superseded_at"])
    load = m.ReferenceDataLoad.objects.order_by("-loaded_at").first()
    release = Release.objects.create(
        audit_period=period,
        kind=kind,
        calculation_date=c,
        method_version=f"{KPI_METHOD_VERSION}; {METHOD_VERSION}",
        outlier_policy_version=f"OP-{period.start_date.year}-{digest}",
        outlier_policy=applied,
        disclosure_policy=policy,
        created_by=user if user is not None and user.is_authenticated else None,
        created_at=now,
        notes=notes,
        reference_data=load.fingerprint if load else "",
        benchmarked=ended,
    )
    if previous:
        previous.superseded_by = release
        previous.save(update_fields=["superseded_by"])
    return release


# The published columns of a release row and their PostgreSQL types.
PUBLISHED_COLUMNS: dict[str, str] = {
    "level": "text",
    "area_code": "text",
    "measure_id": "text",
    "breakdown": "text",
    "category": "text",
    "numerator": "int4",
    "numerator_suppressed": "bool",
    "denominator": "int4",
    "denominator_suppressed": "bool",
    "value": "float8",
    "value_note": "text",
    "suppression_reason": "text",
    "ci95_low": "float8",
    "ci95_high": "float8",
    "ci998_low": "float8",
    "ci998_high": "float8",
    "sd": "float8",
    "comparison": "text",
    "comparison_5": "text",
    "funnel_n": "int4",
    "funnel_lower_95": "float8",
    "funnel_upper_95": "float8",
    "funnel_lower_998": "float8",
    "funnel_upper_998": "float8",
    "z_score": "float8",
    "outlier": "text",
    "outlier_direction": "text",
}
LOG_COLUMNS: dict[str, str] = {
    "output_id": "text",
    "level": "text",
    "area_code": "text",
    "measure_id": "text",
    "breakdown": "text",
    "category": "text",
    "cell_role": "text",
    "reason": "text",
    "constraint_id": "text",
    "true_value": "float8",
    "displayed_value": "text",
}


def _copy(cursor, table: str, release: Release, frame: pd.DataFrame, types: dict) -> None:
    columns = {"release_id": ("int8", np.full(len(frame), release.pk))}
    columns |= {name: (pg_type, frame[name].to_numpy()) for name, pg_type in types.items()}
    copy_rows(cursor, table, columns)


def _write(cursor, release: Release, rows: pd.DataFrame, cells, homes, funnels: dict) -> None:
    published = rows.rename(columns={"code": "area_code", "measure": "measure_id"})
    key = ["level", "measure_id", "breakdown", "category", "area_code"]  # the unique index's order
    published = published.sort_values(key, kind="stable")
    _copy(cursor, ReleaseAggregate._meta.db_table, release, published, PUBLISHED_COLUMNS)
    log = suppression_log(rows, cells, homes)
    _copy(cursor, SuppressionLogEntry._meta.db_table, release, log, LOG_COLUMNS)
    _write_areas(release, rows)
    spreads = unit_spreads(rows)
    ReleaseMeasure.objects.bulk_create(
        ReleaseMeasure(
            release=release,
            measure_id=measure.number,
            funnel=funnels.get(measure.number),
            unit_spread=spreads.get(measure.number),
        )
        for measure in MEASURES
    )
    release.rows = len(published)
    summary = log.groupby(["reason", "level"]).size() if len(log) else pd.Series(dtype=int)
    release.suppression_summary = {}
    for (reason, level), count in summary.items():
        release.suppression_summary.setdefault(reason, {})[level] = int(count)
    release.save(update_fields=["rows", "suppression_summary"])


def suppression_log(rows: pd.DataFrame, cells, homes: pd.DataFrame) -> pd.DataFrame:
    """§7: every suppressed cell and every value withheld because of one, with its true value
    (for the audit team only)."""
    suppressed = np.flatnonzero(cells.suppressed)
    cell_entries = pd.DataFrame(
        {
            "output_id": "aggregates",
            "level": cells.level[suppressed],
            "area_code": cells.code[suppressed],
            "measure_id": homes["measure"].to_numpy()[suppressed],
            "breakdown": cells.breakdown[suppressed],
            "category": cells.category[suppressed],
            "cell_role": homes["role"].to_numpy()[suppressed],
            "reason": cells.reason[suppressed],
            "constraint_id": [name[:120] for name in cells.constraint[suppressed]],
            "true_value": cells.true[suppressed].astype(float),
            "displayed_value": sdc.SUPPRESSED,
        }
    )
    values = rows[rows["withheld"] & (rows["kind"] != "count") & rows["value_true"].notna()]
    value_entries = pd.DataFrame(
        {
            "output_id": "aggregates",
            "level": values["level"].to_numpy(),
            "area_code": values["code"].to_numpy(),
            "measure_id": values["measure"].to_numpy(),
            "breakdown": values["breakdown"].to_numpy(),
            "category": values["category"].to_numpy(),
            "cell_role": values["kind"].map(VALUE_ROLE).to_numpy(),
            "reason": np.where(
                np.isin(values["suppression_reason"], (sdc.PRIMARY_FEW_CONTRIBUTORS,
                                                       sdc.COMPLEMENT)),
                values["suppression_reason"],
                sdc.DERIVED_FROM_SUPPRESSED,
            ),
            "constraint_id": "",
            "true_value": values["value_true"].to_numpy(),
            "displayed_value": sdc.SUPPRESSED,
        }
    )  # fmt: skip
    return pd.concat([cell_entries, value_entries], ignore_index=True)


def unit_spreads(rows: pd.DataFrame) -> dict[str, dict]:
    """Per measure: min, quartiles and max of the units' published values (spine charts)."""
    units = rows[(rows["level"] == "pdu") & (rows["breakdown"] == "")].dropna(subset=["value"])
    spreads = {}
    for number, values in units.groupby("measure", sort=False)["value"]:
        low, q1, median, q3, high = np.percentile(values.to_numpy(), [0, 25, 50, 75, 100])
        spreads[number] = {
            "n": len(values),
            "min": round(float(low), DISPLAY_PLACES),
            "q1": round(float(q1), DISPLAY_PLACES + 1),
            "median": round(float(median), DISPLAY_PLACES + 1),
            "q3": round(float(q3), DISPLAY_PLACES + 1),
            "max": round(float(high), DISPLAY_PLACES),
        }
    return spreads


def _write_areas(release: Release, rows: pd.DataFrame) -> None:
    """The release's geography: every area it has rows for, named and placed as today."""
    totals = rows.loc[rows["breakdown"] == "", ["level", "code"]].drop_duplicates()
    present = set(zip(totals["level"], totals["code"], strict=True))
    ReleaseArea.objects.bulk_create(
        ReleaseArea(
            release=release,
            level=area.level,
            code=area.code,
            name=area.name,
            parent_level=area.parent_level,
            parent_code=area.parent_code,
        )
        for area in current_areas()
        if (area.level, area.code) in present
    )
