"""Benchmarking of a release (benchmarking-methods.md §3-§6), on the true (unsuppressed)
figures of every area, before disclosure control withholds what it must.

Comparisons with the national value are produced only for a period that has ended, and funnel
limits and outlier classes only for a final release (§1.2, §6): `aggregation.releases` calls
`benchmark_measure` per measure with the measure's rows over every area and level (vectorised
with the functions of `aggregation.statistics`). Funnels are drawn for units, as the period's
outlier policy for the measure says (`OutlierPolicy`, default funnel + additive adjustment).
"""

import json
from dataclasses import dataclass

import numpy as np

from constants.kpis import Measure, Polarity

from . import statistics as st
from .measures import RULES
from .models import OutlierPolicy
from .rollup import (
    json_number,
    nan_array,
    safe_ratio,
)

COMPARED_KINDS = ("proportion", "check_proportion", "mean", "events")
METHOD_VERSION = "benchmarking-methods 1"  # stored with each release's funnel parameters
Overdispersion = OutlierPolicy.Overdispersion
READ_COLUMNS = (
    "passed",
    "denominator",
    "value",
    "ci95_low",
    "ci95_high",
    "ci998_low",
    "ci998_high",
    "checks_done",
    "checks_expected",
    "n_population",
    "events",
)


@dataclass
class MeasureRows:
    """One measure's rows (true figures) over every area, as arrays."""

    levels: np.ndarray
    codes: np.ndarray
    columns: dict[str, np.ndarray]

    @classmethod
    def from_rows(cls, rows: list[dict]) -> "MeasureRows":
        """From one dict per area (level, code, READ_COLUMNS and the type 1 figures of 44)."""
        names = (*READ_COLUMNS, "type1_n", "type1_mean", "type1_sd")
        return cls(
            np.array([r["level"] for r in rows], dtype=object),
            np.array([r["code"] for r in rows], dtype=object),
            {n: np.array([np.nan if r[n] is None else r[n] for r in rows], float) for n in names},
        )

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    @property
    def national(self) -> int | None:
        index = np.flatnonzero(self.levels == "national")
        return int(index[0]) if len(index) else None

    @property
    def units(self) -> np.ndarray:
        return np.flatnonzero(self.levels == "pdu")


def compare(kind: str, rows: MeasureRows, measure: Measure) -> dict[str, np.ndarray]:
    """§3: each area's interval against the national value. Not compared: context counts,
    medians, areas without a denominator, and the national area itself."""
    size, national = len(rows.codes), rows.national
    not_compared = np.full(size, st.NOT_COMPARED, dtype=object)
    result = {
        "benchmark": nan_array(size),
        "comparison": not_compared,
        "comparison_5": not_compared,
    }
    if national is None or measure.polarity == Polarity.CONTEXT or kind not in COMPARED_KINDS:
        return result
    if kind == "events":  # the national rate applied to each area's P1 children
        rate = safe_ratio(rows["events"][national], rows["n_population"][national])
        benchmark = rate * rows["n_population"]
    else:
        benchmark = np.full(size, rows["value"][national])
    polarity = measure.polarity.value
    ci = [rows[c] for c in ("ci95_low", "ci95_high", "ci998_low", "ci998_high")]
    three = st.compare_three_levels(ci[0], ci[1], benchmark, polarity)
    five = st.compare_five_levels(*ci, benchmark, polarity)
    three[national] = five[national] = st.NOT_COMPARED
    return {"benchmark": benchmark, "comparison": three, "comparison_5": five}


def funnel(
    kind: str, rows: MeasureRows, measure: Measure, policy: OutlierPolicy
) -> tuple[dict, dict | None]:
    """§4-§6 for the units: limits, z-score, outlier class, on the funnel's scale (the value
    for proportions, the type 1 mean for 44, the admissions count for 46 and 47).
    Returns the columns (over all areas) and the funnel parameters for the national row."""
    size, national, units = len(rows.codes), rows.national, rows.units
    columns: dict[str, np.ndarray] = {}
    if national is None or measure.polarity == Polarity.CONTEXT or not len(units):
        return columns, None
    adjust = policy.overdispersion
    if kind in ("proportion", "check_proportion"):
        x = rows["passed" if kind == "proportion" else "checks_done"][units]
        n = rows["denominator" if kind == "proportion" else "checks_expected"][units]
        y = rows["value"][units]
        result = _proportion_funnel(x, n, rows["value"][national], adjust)
    elif kind == "mean":  # the formal outlier measure: the type 1 mean (kpis.md §4.7)
        n, y = rows["type1_n"][units], rows["type1_mean"][units]
        theta, sigma = rows["type1_mean"][national], rows["type1_sd"][national]
        result = _mean_funnel(y, n, theta, sigma, adjust)
    elif kind == "events":
        n = rows["n_population"][units]
        rate = safe_ratio(rows["events"][national], rows["n_population"][national])
        y = rows["events"][units]
        result = _event_funnel(y, n * rate, rate, adjust)
    else:
        return columns, None
    if result is None:
        return columns, None
    if policy.method == OutlierPolicy.Method.FIXED_THRESHOLD:
        result = _fixed_cut_offs(result, policy)
    limits, z, parameters = result
    parameters |= {"policy": policy.as_json(), "method_version": METHOD_VERSION}
    klass, direction = st.classify(
        y,
        limits["funnel_lower_95"],
        limits["funnel_upper_95"],
        limits["funnel_lower_998"],
        limits["funnel_upper_998"],
        measure.polarity.value,
    )
    has_data = np.nan_to_num(n) > 0
    unit_values = {
        **limits,
        "z_score": z,
        "funnel_n": n,
        "outlier": np.where(has_data, klass, ""),
        "outlier_direction": np.where(has_data, direction, ""),
        "funnel_method": np.where(has_data, parameters["method"], ""),
    }
    for name, values in unit_values.items():
        text = name in ("outlier", "outlier_direction", "funnel_method")
        columns[name] = np.full(size, "", dtype=object) if text else nan_array(size)
        columns[name][units] = values
    return columns, parameters


def _limits_dict(low95, high95, low998, high998) -> dict[str, np.ndarray]:
    return {
        "funnel_lower_95": low95,
        "funnel_upper_95": high95,
        "funnel_lower_998": low998,
        "funnel_upper_998": high998,
    }


def _parameters(d: st.Dispersion, target: float, method: str, **extra) -> dict:
    return {
        "k": d.k,
        "phi": json_number(d.phi),
        "tau2": d.tau2,
        "overdispersed": d.overdispersed,
        "method": method,
        "target": json_number(target),
        **extra,
    }


BANDS = ((st.Z95, ("funnel_lower_95", "funnel_upper_95")),)
BANDS += ((st.Z998, ("funnel_lower_998", "funnel_upper_998")),)


def _fixed_cut_offs(result, policy: OutlierPolicy):
    """§6: the audit's fixed cut-offs replace the funnel limits for classifying (and are stored
    where the limits go, so a chart draws them); z-scores and dispersion are kept as context."""
    limits, z, parameters = result
    size = len(z)
    cut_offs = {
        "funnel_lower_95": policy.alert_lower,
        "funnel_upper_95": policy.alert_upper,
        "funnel_lower_998": policy.alarm_lower,
        "funnel_upper_998": policy.alarm_upper,
    }
    limits = {
        name: np.full(size, np.nan if value is None else float(value))
        for name, value in cut_offs.items()
    }
    return limits, z, parameters | {"method": "fixed threshold"}


def _adjustment(d: st.Dispersion, choice: str) -> str | None:
    """§5.6: the adjustment to apply, if any: only when overdispersion is declared."""
    return choice if d.overdispersed and choice != Overdispersion.NONE else None


def _spread(s, d: st.Dispersion, adjustment: str | None):
    """The units' standard errors on the transformed scale, after the adjustment: what the
    adjusted z-scores divide by (§5.4, §5.5)."""
    if adjustment == Overdispersion.ADDITIVE:
        return np.sqrt(s**2 + d.tau2)
    if adjustment == Overdispersion.MULTIPLICATIVE:
        return np.sqrt(d.phi) * s
    return s


def _adjusted_bands(target, s, d: st.Dispersion, adjustment: str, back, size: int, has):
    """The §5.4 or §5.5 limits, back-transformed by `back`, for the units with data (NaN
    elsewhere)."""
    bands = {}
    for z, names in BANDS:
        if adjustment == Overdispersion.ADDITIVE:
            limits = st.additive_limits(target, s, d.tau2, z)
        else:
            limits = st.multiplicative_limits(target, s, d.phi, z)
        for name, limit in zip(names, limits, strict=True):
            bands[name] = nan_array(size)
            bands[name][has] = back(limit)
    return bands


def _proportion_funnel(x, n, theta, choice: str):
    """Exact binomial limits (§4.1), or adjusted limits when overdispersed (§5.6)."""
    if not np.isfinite(theta):
        return None
    has = n > 0
    y, s, target = st.proportion_z_scores(x[has], n[has], theta)
    d = st.dispersion(y, s, target)
    adjustment = _adjustment(d, choice)
    spread = _spread(s, d, adjustment)
    z = nan_array(len(n))
    z[has] = (y - target) / spread
    if adjustment:
        limits = _adjusted_bands(target, s, d, adjustment, st.arcsine_to_proportion, len(n), has)
    else:
        limits = {
            f"funnel_{name}": st.binomial_funnel_limit(theta, n, p)
            for name, p in st.FUNNEL_TAILS.items()
        }
    return limits, z, _parameters(d, theta, adjustment or "exact binomial")


def _mean_funnel(means, n, theta, sigma, choice: str):
    """θ ± z·sigma/√n (§4.2), widened when overdispersed."""
    if not (np.isfinite(theta) and np.isfinite(sigma) and sigma > 0):
        return None
    has = np.nan_to_num(n) > 0
    s = nan_array(len(n))
    s[has] = sigma / np.sqrt(n[has])
    d = st.dispersion(means[has], s[has], theta)
    adjustment = _adjustment(d, choice)
    spread = _spread(s, d, adjustment)
    limits = _limits_dict(
        theta - st.Z95 * spread,
        theta + st.Z95 * spread,
        theta - st.Z998 * spread,
        theta + st.Z998 * spread,
    )
    method = adjustment or "normal"
    return limits, (means - theta) / spread, _parameters(d, theta, method, sigma=sigma)


def _event_funnel(observed, expected, rate, choice: str):
    """Exact Poisson limits as counts (§4.3), or adjusted limits when overdispersed."""
    if not (np.isfinite(rate) and rate > 0):
        return None
    has = expected > 0
    y, s, target = st.rate_z_scores(observed[has], expected[has])
    d = st.dispersion(y, s, target)
    adjustment = _adjustment(d, choice)
    spread = _spread(s, d, adjustment)
    z = nan_array(len(expected))
    z[has] = (y - target) / spread
    if adjustment:

        def to_count(t):
            return st.root_to_rate(t, 1.0) * expected[has]

        limits = _adjusted_bands(target, s, d, adjustment, to_count, len(expected), has)
    else:
        limits = {
            f"funnel_{name}": st.poisson_funnel_limit(expected, p)
            for name, p in st.FUNNEL_TAILS.items()
        }
    method = adjustment or "exact Poisson"
    return limits, z, _parameters(d, rate, method, scale="admissions (count)")


# Writing -----------------------------------------------------------------------------------------

NUMBERS = ("benchmark", "funnel_n", "funnel_lower_95", "funnel_upper_95")
NUMBERS += ("funnel_lower_998", "funnel_upper_998", "z_score")
TEXTS = ("comparison", "comparison_5", "funnel_method", "outlier", "outlier_direction")


def benchmark_measure(
    rows: MeasureRows, measure: Measure, policy: OutlierPolicy, *, with_funnel: bool = True
) -> dict[str, np.ndarray]:
    """Every benchmarking column of one measure over the areas of `rows`; the funnel's
    parameters in `columns["funnel"]` of the national row (JSON text, '' elsewhere)."""
    kind = RULES[measure.number].value_kind
    size = len(rows.codes)
    columns = compare(kind, rows, measure)
    funnel_columns, parameters = funnel(kind, rows, measure, policy) if with_funnel else ({}, None)
    columns |= funnel_columns
    for name in NUMBERS:
        columns.setdefault(name, nan_array(size))
    for name in TEXTS:
        columns.setdefault(name, np.full(size, "", dtype=object))
    columns["funnel"] = np.full(size, "", dtype=object)
    if parameters is not None:
        columns["funnel"][rows.national] = json.dumps(parameters)
    return columns


# Funnel curves -----------------------------------------------------------------------------------


def funnel_curves(kind: str, parameters: dict, n: np.ndarray) -> dict[str, np.ndarray]:
    """The funnel's limits at every n (the x-axis: children, checks or contributors) from the
    parameters stored with a release, in the published unit (% for proportions, per 100
    children for admissions), with the centre line as `target`."""
    n = np.asarray(n, dtype=float)
    method = parameters["method"]
    theta = parameters["target"]
    dispersion = st.Dispersion(
        parameters["k"], parameters.get("phi") or 0.0, parameters["overdispersed"],
        parameters["tau2"],
    )  # fmt: skip
    names = ("funnel_lower_95", "funnel_upper_95", "funnel_lower_998", "funnel_upper_998")
    if method == "fixed threshold":
        cut_offs = parameters["policy"]["cut_offs"]
        keys = ("alert_lower", "alert_upper", "alarm_lower", "alarm_upper")
        limits = {
            name: np.full(len(n), cut_offs.get(key, np.nan), dtype=float)
            for name, key in zip(names, keys, strict=True)
        }
    elif kind in ("proportion", "check_proportion"):
        limits = _proportion_curves(theta, n, dispersion, method)
    elif kind == "mean":
        spread = _spread(parameters["sigma"] / np.sqrt(n), dispersion, _method_adjustment(method))
        limits = _limits_dict(
            theta - st.Z95 * spread, theta + st.Z95 * spread,
            theta - st.Z998 * spread, theta + st.Z998 * spread,
        )  # fmt: skip
    elif kind == "events":
        limits = _event_curves(theta * n, dispersion, method)
    else:
        return {"target": np.nan}
    scale = {"proportion": 100.0, "check_proportion": 100.0}.get(kind)
    if scale:
        limits = {k: v * scale for k, v in limits.items()}
        theta = theta * scale
    if kind == "events":  # counts at E = rate * n, as admissions per 100 children
        limits = {k: v / n * 100 for k, v in limits.items()}
        theta = theta * 100
    return {**{k: np.asarray(v, dtype=float) for k, v in limits.items()}, "target": theta}


def _method_adjustment(method: str) -> str | None:
    return method if method in (Overdispersion.ADDITIVE, Overdispersion.MULTIPLICATIVE) else None


def _proportion_curves(theta: float, n, d: st.Dispersion, method: str) -> dict:
    adjustment = _method_adjustment(method)
    if adjustment is None:
        return {
            f"funnel_{name}": st.binomial_funnel_limit(theta, n, p)
            for name, p in st.FUNNEL_TAILS.items()
        }
    target, s = float(np.arcsin(np.sqrt(theta))), 1 / (2 * np.sqrt(n))
    everyone = np.ones(len(n), dtype=bool)
    return _adjusted_bands(target, s, d, adjustment, st.arcsine_to_proportion, len(n), everyone)


def _event_curves(expected, d: st.Dispersion, method: str) -> dict:
    adjustment = _method_adjustment(method)
    if adjustment is None:
        return {
            f"funnel_{name}": st.poisson_funnel_limit(expected, p)
            for name, p in st.FUNNEL_TAILS.items()
        }
    s = 1 / (2 * np.sqrt(expected))

    def to_count(t):
        return st.root_to_rate(t, 1.0) * expected

    everyone = np.ones(len(expected), dtype=bool)
    return _adjusted_bands(1.0, s, d, adjustment, to_count, len(expected), everyone)
