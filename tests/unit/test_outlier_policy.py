"""The outlier policy of benchmarking-methods.md §5.6 and §6, applied to a measure's units."""

import numpy as np
import pytest

from aggregation import statistics as st
from aggregation.benchmarking import READ_COLUMNS, MeasureRows, benchmark_measure
from aggregation.models import OutlierPolicy
from constants.kpis import MEASURES_BY_NUMBER

MEASURE = MEASURES_BY_NUMBER["25"]  # a proportion, higher is better
N = 100
# Thirty units of 100 children, far more spread than chance allows: overdispersed.
PASSED = np.array([30, 35, 40, 45, 50, 55, 60, 62, 64, 66, 68, 70, 72, 74, 75] * 2)


def measure_rows(passed: np.ndarray, n: int = N) -> MeasureRows:
    def record(level, code, x, denominator):
        values = dict.fromkeys(READ_COLUMNS) | {"passed": x, "denominator": denominator}
        values["value"] = x / denominator
        return {"level": level, "code": code, "type1_n": None, "type1_mean": None,
                "type1_sd": None, **values}  # fmt: skip

    units = [record("pdu", f"PZ{i:03d}", int(x), n) for i, x in enumerate(passed, start=1)]
    national = record("national", "EW", int(passed.sum()), n * len(passed))
    return MeasureRows.from_rows([national, *units])


def policy(**fields) -> OutlierPolicy:
    return OutlierPolicy(audit_period_id=1, measure_id=MEASURE.number, **fields)


def unit_columns(columns: dict, name: str) -> np.ndarray:
    return np.asarray(columns[name][1:], dtype=float)


def parameters(columns: dict) -> dict:
    import json

    return json.loads(columns["funnel"][0])


def transformed(passed: np.ndarray):
    """The units' arcsine values, standard errors, target and dispersion (§5.1-§5.5)."""
    theta = passed.sum() / (N * len(passed))
    y, s, target = st.proportion_z_scores(passed, np.full(len(passed), N), theta)
    return y, s, target, st.dispersion(y, s, target)


def test_overdispersion_is_declared_and_the_additive_limits_are_the_default():
    rows = measure_rows(PASSED)
    columns = benchmark_measure(rows, MEASURE, policy())
    found = parameters(columns)
    assert found["overdispersed"] and found["method"] == "additive"
    y, s, target, d = transformed(PASSED)
    lower, _ = st.additive_limits(target, s, d.tau2, st.Z95)
    expected = st.arcsine_to_proportion(lower)
    assert unit_columns(columns, "funnel_lower_95") == pytest.approx(expected)
    z = unit_columns(columns, "z_score")
    assert z == pytest.approx((y - target) / np.sqrt(s**2 + d.tau2))
    assert found["policy"] == {"method": "funnel", "overdispersion": "additive",
                               "formal": False, "cut_offs": {}}  # fmt: skip
    assert found["method_version"]


def test_the_multiplicative_adjustment_for_sensitivity_analysis():
    rows = measure_rows(PASSED)
    columns = benchmark_measure(rows, MEASURE, policy(overdispersion="multiplicative"))
    assert parameters(columns)["method"] == "multiplicative"
    y, s, target, d = transformed(PASSED)
    _, upper = st.multiplicative_limits(target, s, d.phi, st.Z998)
    expected = st.arcsine_to_proportion(upper)
    assert unit_columns(columns, "funnel_upper_998") == pytest.approx(expected)
    assert unit_columns(columns, "z_score") == pytest.approx((y - target) / s / np.sqrt(d.phi))


def test_no_adjustment_keeps_the_exact_limits_even_when_overdispersed():
    rows = measure_rows(PASSED)
    columns = benchmark_measure(rows, MEASURE, policy(overdispersion="none"))
    found = parameters(columns)
    assert found["overdispersed"] and found["method"] == "exact binomial"
    theta = PASSED.sum() / (N * len(PASSED))
    expected = st.binomial_funnel_limit(theta, np.full(len(PASSED), N), 0.025)
    assert unit_columns(columns, "funnel_lower_95") == pytest.approx(expected)
    # Unadjusted limits flag many more units than the additive ones.
    default = benchmark_measure(rows, MEASURE, policy())
    assert sum(columns["outlier"] != "within") > sum(default["outlier"] != "within")


def test_fixed_cut_offs_classify_instead_of_funnel_limits():
    passed = np.array([30, 45, 60, 61, 90, 70, 70, 70])  # proportions of 100
    rows = measure_rows(passed)
    columns = benchmark_measure(
        rows, MEASURE, policy(method="fixed_threshold", alert_lower=0.6, alarm_lower=0.4)
    )
    assert list(columns["outlier"][1:5]) == ["alarm", "alert", "within", "within"]
    assert list(columns["outlier_direction"][1:3]) == ["negative", "negative"]
    assert columns["outlier"][5] == "within"  # no upper cut-off: 0.9 is not flagged
    assert unit_columns(columns, "funnel_lower_95") == pytest.approx([0.6] * len(passed))
    assert np.isnan(unit_columns(columns, "funnel_upper_95")).all()
    found = parameters(columns)
    assert found["method"] == "fixed threshold"
    assert found["policy"]["cut_offs"] == {"alert_lower": 0.6, "alarm_lower": 0.4}


def test_the_default_policy_makes_32_1_and_44_the_formal_outlier_measures():
    formal = [n for n in MEASURES_BY_NUMBER if OutlierPolicy.default(1, n).is_formal]
    assert formal == ["32.1", "44"]
