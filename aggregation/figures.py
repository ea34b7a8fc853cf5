"""The figures a result shows, from the engine's columns of an area (live or frozen): its
numerator and denominator counts and its value and limits in the unit it is published in
(% for proportions, mmol/mol, admissions per 100 children, children for counts). One
definition for releases and for the audit team's live view."""

from collections.abc import Mapping

import numpy as np

from constants.kpis import MEASURES_BY_NUMBER, VALUE_UNITS, MeasureKind

from .measures import RULES, Membership

LIMITS = ("ci95_low", "ci95_high", "ci998_low", "ci998_high")


def value_unit(number: str) -> str:
    """The unit a measure's value is published in. Counts 10-12 are shown as a % of P1 (their
    value and limits are a proportion's), the other counts in children."""
    kind = MEASURES_BY_NUMBER[number].kind
    if kind == MeasureKind.COUNT and has_denominator(number):
        return VALUE_UNITS[MeasureKind.PROPORTION]
    return VALUE_UNITS[kind]


def has_denominator(number: str) -> bool:
    """Membership counts (1-9) have none; 10-12 are shown over P1."""
    return not isinstance(RULES[number], Membership)


def per_100(count, population) -> np.ndarray:
    count, population = np.asarray(count, dtype=float), np.asarray(population, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(population > 0, count / population * 100, np.nan)


def figures(number: str, c: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """num, den, value, the four limits and sd, as float arrays (NaN: none), from the columns
    of `aggregation.rollup.measure_columns` (which the live tables store)."""
    kind = RULES[number].value_kind
    size = len(np.asarray(c["passed"]))
    nan = np.full(size, np.nan)
    limits = {name: np.asarray(c[name], dtype=float) for name in LIMITS}
    out = {"sd": nan}
    if kind == "count":
        den = c["denominator"] if has_denominator(number) else nan
        out |= {"num": c["passed"], "den": den, "value": c["passed"]}
        out |= dict.fromkeys(LIMITS, nan)
    elif kind in ("proportion", "check_proportion"):
        x, n = (
            ("passed", "denominator")
            if kind == "proportion"
            else ("checks_done", "checks_expected")
        )
        out |= {"num": c[x], "den": c[n], "value": np.asarray(c["value"], float) * 100}
        out |= {name: limit * 100 for name, limit in limits.items()}
    elif kind in ("mean", "median"):
        out |= {"num": c["n_contributors"], "den": c["n_population"], "value": c["value"]}
        out |= limits
        if kind == MeasureKind.MEAN:
            out["sd"] = c["sd"]
    else:  # events: admissions per 100 children, the count's limits rescaled
        population = c["n_population"]
        out |= {"num": c["events"], "den": population, "value": per_100(c["events"], population)}
        out |= {name: per_100(limit, population) for name, limit in limits.items()}
    return {name: np.asarray(values, dtype=float) for name, values in out.items()}
