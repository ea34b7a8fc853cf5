"""Disclosure control (disclosure-control.md, SDC-1): the worked examples of §9, the count
rules of §3, secondary suppression (§4) and the release checks (§5.2), through the functions
a release uses, on hand-built tables."""

import numpy as np
import pandas as pd
import pytest

from aggregation import disclosure
from aggregation.disclosure import build_constraints, cells_of, check_release, control
from constants import disclosure as sdc

SDC_1 = disclosure.Policy(
    label="SDC-1",
    small_count_max=7,
    rounding_base=5,
    min_contributors=8,
    secondary_suppression=True,
    complement_protection=False,
)


def row(level, code, measure, kind, num, den=None, *, breakdown="", category="", **true):
    """One release row with its true figures; the quantities are those of the measure."""
    keys = {
        "1": ("pop:p1", ""),
        "8": ("pop:p1 AND died_in_p", ""),
        "25": ("passed:25", "pop:p5"),
        "32.3": ("passed:32.3", "pop:p5_12_and_over"),
        "44": ("children:hba1c_median IS NOT NULL", "pop:p1"),
        "45": ("children:hba1c_median IS NOT NULL", "pop:p1"),
    }[measure]
    value = true.pop("value", None)
    if value is None and den:
        value = num / den * 100
    return {
        "level": level,
        "code": code,
        "measure": measure,
        "breakdown": breakdown,
        "category": category,
        "kind": kind,
        "num_key": keys[0],
        "num_breakdown": breakdown,
        "num_category": category,
        "num_true": float(num),
        "den_key": keys[1] if den is not None else "",
        "den_breakdown": breakdown if den is not None else "",
        "den_category": category if den is not None else "",
        "den_true": np.nan if den is None else float(den),
        "value_true": float(num if kind == "count" else value),
        "ci95_low": true.get("ci95_low", np.nan),
        "ci95_high": true.get("ci95_high", np.nan),
        "ci998_low": np.nan,
        "ci998_high": np.nan,
        "sd": np.nan,
    }


UNITS_IN_ICB = [("pdu", "icb", pd.DataFrame({"child": ["U1", "U2", "U3"], "parent": "ICB1"}))]


def run(records, relations=UNITS_IN_ICB, policy=SDC_1, sensitive=frozenset()):
    rows = pd.DataFrame(records)
    cells, homes = cells_of(rows, set(sensitive))
    constraints = build_constraints(cells, relations)
    control(rows, cells, constraints, policy)
    failures = check_release(rows, cells, homes, constraints, policy, ["level", "value"])
    return rows.set_index(["code", "measure", "breakdown", "category"]), failures


def shown(rows, code, measure="32.3", breakdown="", category=""):
    r = rows.loc[(code, measure, breakdown, category)]
    num = "*" if r["numerator_suppressed"] else r["numerator"]
    den = "*" if r["denominator_suppressed"] else r["denominator"]
    value = "*" if r["withheld"] else r["value"]
    return num, den, value, r["value_note"]


def test_worked_example_9_1_units_within_an_icb():
    rows, failures = run(
        [
            row("pdu", "U1", "32.3", "proportion", 30, 40),
            row("pdu", "U2", "32.3", "proportion", 5, 25),
            row("pdu", "U3", "32.3", "proportion", 48, 60),
            row("icb", "ICB1", "32.3", "proportion", 83, 125),
        ]
    )
    assert failures == []
    assert shown(rows, "U1") == ("*", 40, "*", sdc.NOTE_SECONDARY)
    assert shown(rows, "U2") == ("*", 25, "*", sdc.NOTE_SMALL)
    assert shown(rows, "U3") == (50, 60, 80.0, "")
    assert shown(rows, "ICB1") == (85, 125, 66.4, "")
    assert rows.loc[("U1", "32.3", "", ""), "suppression_reason"] == sdc.SECONDARY
    assert rows.loc[("U2", "32.3", "", ""), "suppression_reason"] == sdc.PRIMARY_SMALL_COUNT


def test_worked_example_9_2_a_breakdown_within_one_unit():
    groups = {"white": 52, "asian": 9, "black": 3, "mixed": 4, "other": 0, "not_stated": 2}
    records = [row("pdu", "U1", "1", "count", 70)] + [
        row("pdu", "U1", "1", "count", n, breakdown="ethnicity_group", category=g)
        for g, n in groups.items()
    ]
    rows, failures = run(records, relations=[])
    assert failures == []
    got = {g: shown(rows, "U1", "1", "ethnicity_group", g)[0] for g in groups}
    assert got == {"white": 50, "asian": 10, "black": "*", "mixed": "*", "other": 0,
                   "not_stated": "*"}  # fmt: skip
    assert shown(rows, "U1", "1")[0] == 70  # three suppressed: no secondary needed
    assert not rows["suppression_reason"].eq(sdc.SECONDARY).any()


@pytest.mark.parametrize("measure", ["44", "45"])
def test_worked_example_9_3_means_of_few_children_are_withheld(measure):
    kind = "mean" if measure == "44" else "median"
    rows, failures = run(
        [
            row("pdu", "U1", measure, kind, 6, 30, value=61.2, ci95_low=55.0, ci95_high=67.4),
            row("pdu", "U2", measure, kind, 23, 40, value=58.4, ci95_low=55.1, ci95_high=61.7),
            row("pdu", "U3", measure, kind, 20, 30, value=60.0),
            row("icb", "ICB1", measure, kind, 49, 100, value=59.5),
        ]
    )
    assert failures == []
    u1 = rows.loc[("U1", measure, "", "")]
    assert (u1["numerator_suppressed"], u1["withheld"], u1["value_note"]) == (
        True, True, sdc.NOTE_SMALL
    )  # fmt: skip
    assert np.isnan(u1["value"]) and np.isnan(u1["ci95_low"])
    u2 = rows.loc[("U2", measure, "", "")]
    assert (u2["numerator"], u2["value"], u2["withheld"]) == (25, 58.4, False)


@pytest.mark.parametrize(("true", "displayed"), [(8, 10), (12, 10), (13, 15), (102, 100), (0, 0)])
def test_counts_are_rounded_to_five_below_national_level(true, displayed):
    rows, _ = run([row("pdu", "U1", "1", "count", true)], relations=[])
    assert rows.loc[("U1", "1", "", ""), "numerator"] == displayed
    assert rows.loc[("U1", "1", "", ""), "value"] == displayed


def test_national_figures_are_exact_except_the_sensitive_measure():
    national = [
        row("national", "EW", "1", "count", 3),
        row("national", "EW", "8", "count", 3),
        row("national", "EW", "25", "proportion", 13, 17),
    ]
    rows, failures = run(national, relations=[], sensitive={"pop:p1 AND died_in_p"})
    assert failures == []
    assert rows.loc[("EW", "1", "", ""), "numerator"] == 3
    assert shown(rows, "EW", "8")[0] == "*"
    assert rows.loc[("EW", "8", "", ""), "suppression_reason"] == sdc.SENSITIVE_MEASURE
    assert shown(rows, "EW", "25") == (13, 17, pytest.approx(76.5), "")


def test_a_zero_denominator_is_not_applicable_not_suppressed():
    rows, _ = run([row("pdu", "U1", "25", "proportion", 0, 0, value=np.nan)], relations=[])
    num, den, value, note = shown(rows, "U1", "25")
    assert (num, den, note) == (0, 0, sdc.NOTE_NOT_APPLICABLE) and np.isnan(value)


def test_one_count_shown_in_several_rows_is_one_cell():
    """P1 is KPI 1's value and KPI 25's... here KPI 44's denominator: suppressed in one row, it
    is suppressed in all."""
    rows, failures = run(
        [
            row("pdu", "U1", "1", "count", 5),
            row("pdu", "U1", "44", "mean", 4, 5, value=60.0),
            row("pdu", "U2", "1", "count", 40),
            row("pdu", "U3", "1", "count", 30),
            row("icb", "ICB1", "1", "count", 75),
        ]
    )
    assert failures == []
    assert rows.loc[("U1", "44", "", ""), "denominator_suppressed"]
    assert rows.loc[("U3", "1", "", ""), "numerator_suppressed"]  # secondary: smallest other


def test_secondary_suppression_repeats_across_constraints_and_breaks_ties_by_area_code():
    """U2 (5) is suppressed in its ICB; the smallest other unit of the ICB, U1 (20, tied with
    U3 and earlier by code), goes too; that leaves U1's network with one suppressed cell, so
    the network's other unit U4 goes as well."""
    relations = [
        ("pdu", "icb", pd.DataFrame({"child": ["U1", "U2", "U3"], "parent": "ICB1"})),
        ("pdu", "network", pd.DataFrame({"child": ["U1", "U4"], "parent": "N1"})),
    ]
    rows, failures = run(
        [
            row("pdu", "U1", "1", "count", 20),
            row("pdu", "U2", "1", "count", 5),
            row("pdu", "U3", "1", "count", 20),
            row("pdu", "U4", "1", "count", 50),
            row("icb", "ICB1", "1", "count", 45),
            row("network", "N1", "1", "count", 70),
        ],
        relations=relations,
    )
    assert failures == []
    suppressed = set(rows.index[rows["numerator_suppressed"]].get_level_values("code"))
    assert suppressed == {"U1", "U2", "U4"}
    assert rows.loc[("U4", "1", "", ""), "suppression_reason"] == sdc.SECONDARY


def test_without_a_second_part_the_total_is_suppressed():
    """Jersey's network holds one unit: hiding the unit hides the network."""
    relations = [("pdu", "network", pd.DataFrame({"child": ["PZ248"], "parent": "PN01"}))]
    rows, failures = run(
        [row("pdu", "PZ248", "1", "count", 4), row("network", "PN01", "1", "count", 4)],
        relations=relations,
    )
    assert failures == []
    assert rows.loc[("PN01", "1", "", ""), "numerator_suppressed"]


def test_a_policy_without_secondary_suppression_fails_the_release_check():
    no_secondary = disclosure.Policy("SDC-test", 7, 5, 8, False, False)
    _, failures = run(
        [
            row("pdu", "U1", "32.3", "proportion", 30, 40),
            row("pdu", "U2", "32.3", "proportion", 5, 25),
            row("pdu", "U3", "32.3", "proportion", 48, 60),
            row("icb", "ICB1", "32.3", "proportion", 83, 125),
        ],
        policy=no_secondary,
    )
    assert [f.check for f in failures] == ["one suppressed cell in a constraint"]
    failure = failures[0]
    assert (failure.level, failure.area_code, failure.measure) == ("icb", "ICB1", "32.3")
    assert "pdus_in_icb:icb:ICB1" in failure.detail and "exactly one suppressed" in failure.detail


def test_the_checks_catch_a_small_or_unrounded_count_and_a_leaked_interval():
    cells = disclosure.Cells(
        level=np.array(["pdu", "pdu", "national"], dtype=object),
        code=np.array(["U1", "U2", "EW"], dtype=object),
        breakdown=np.array(["", "", ""], dtype=object),
        category=np.array(["", "", ""], dtype=object),
        quantity=np.array(["pop:p1"] * 3, dtype=object),
        true=np.array([3, 12, 3]),
        sensitive=np.zeros(3, dtype=bool),
    )
    shown = np.array([3.0, 12.0, 3.0])  # as if neither suppressed nor rounded
    bad = disclosure.small_count_failures(cells, shown, SDC_1)
    assert bad.tolist() == [True, True, False]  # national exact counts are allowed
    rows, _ = run([row("pdu", "U2", "25", "proportion", 3, 40)], relations=[])
    leaked = rows.reset_index()
    leaked.loc[0, "ci95_low"] = 1.0  # a withheld value must not keep its interval
    frame_cells, homes = cells_of(leaked, set())
    constraints = build_constraints(frame_cells, [])
    disclosure.primary_suppression(frame_cells, SDC_1)
    failures = check_release(leaked, frame_cells, homes, constraints, SDC_1, ["value"])
    assert [f.check for f in failures] == ["withheld value with statistics"]


def test_the_checks_catch_identifiers_by_field_name_and_by_value():
    records = [row("pdu", "U1", "1", "count", 10, category="9434765919", breakdown="sex")]
    rows = pd.DataFrame(records)
    cells, homes = cells_of(rows, set())
    constraints = build_constraints(cells, [])
    control(rows, cells, constraints, SDC_1)
    failures = check_release(rows, cells, homes, constraints, SDC_1, ["nhs_number", "value"])
    assert {f.check for f in failures} == {"identifier field", "identifier value"}


# SDC-2 (§3.1) and the release check of §5.4 -------------------------------------------------------

SDC_2 = disclosure.Policy(
    label="SDC-2",
    small_count_max=7,
    rounding_base=5,
    min_contributors=8,
    secondary_suppression=True,
    complement_protection=False,
    means_withheld_with_hidden_counts=False,
    recovery_check=True,
)


def worked_example_9_4() -> list[dict]:
    """KPI 44 by diabetes type in one unit: 52 type 1 contributors (mean 60.4) and 3 type 2
    (mean 71.0); the type 1 row carries its funnel point, as a final release's does."""
    types = {"1": (52, 60.4), "2": (3, 71.0), "other": (0, np.nan), "not_recorded": (0, np.nan)}
    records = [row("pdu", "U1", "44", "mean", 55, 55, value=61.0, ci95_low=58.2, ci95_high=63.8)]
    for category, (n, mean) in types.items():
        interval = {"ci95_low": mean - 2.5, "ci95_high": mean + 2.5}
        record = row("pdu", "U1", "44", "mean", n, n, breakdown="diabetes_type",
                     category=category, value=mean, **interval)  # fmt: skip
        record["sd"] = 9.0 if n else np.nan
        records.append(record)
    benchmarking = {"comparison": "", "comparison_5": "", "outlier": "", "outlier_direction": "",
                    "funnel_method": "", "funnel_n": np.nan, "funnel_lower_95": np.nan,
                    "funnel_upper_95": np.nan, "funnel_lower_998": np.nan,
                    "funnel_upper_998": np.nan, "z_score": np.nan}  # fmt: skip
    for record in records:
        record.update(benchmarking)
    records[1].update(comparison="similar", comparison_5="similar", outlier="within",
                      funnel_method="normal", funnel_n=52.0, funnel_lower_95=57.1,
                      funnel_upper_95=63.6, funnel_lower_998=55.2, funnel_upper_998=65.5,
                      z_score=0.12)  # fmt: skip
    return records


def test_worked_example_9_4_means_under_sdc_2():
    rows, failures = run(worked_example_9_4(), relations=[], policy=SDC_2)
    assert failures == []
    type_1 = rows.loc[("U1", "44", "diabetes_type", "1")]
    assert shown(rows, "U1", "44", "diabetes_type", "1")[0] == "*"  # count: secondary
    assert type_1["value"] == 60.4 and not type_1["withheld"] and type_1["value_note"] == ""
    assert (type_1["ci95_low"], type_1["ci95_high"]) == (57.9, 62.9)  # interval published
    assert (type_1["comparison"], type_1["outlier"]) == ("similar", "within")
    assert type_1["funnel_n"] == 50  # the funnel point sits at the count rounded to 5
    # ... but nothing that would give the hidden count back: SD, z-score, limits at n.
    assert type_1[["sd", "z_score", "funnel_lower_95", "funnel_upper_998"]].isna().all()
    assert shown(rows, "U1", "44", "diabetes_type", "2")[::2] == ("*", "*")  # 3: withheld
    assert rows.loc[("U1", "44", "diabetes_type", "2"), "suppression_reason"] == (
        sdc.PRIMARY_SMALL_COUNT
    )
    assert shown(rows, "U1", "44", "diabetes_type", "other")[0] == 0
    assert np.isnan(shown(rows, "U1", "44", "diabetes_type", "other")[2])  # no children
    assert shown(rows, "U1", "44")[::2] == (55, 61.0)  # all types


def test_worked_example_9_4_under_sdc_1_withholds_the_type_1_mean():
    rows, failures = run(worked_example_9_4(), relations=[], policy=SDC_1)
    assert failures == []
    assert shown(rows, "U1", "44", "diabetes_type", "1") == ("*", "*", "*", sdc.NOTE_SECONDARY)
    type_1 = rows.loc[("U1", "44", "diabetes_type", "1")]
    assert np.isnan(type_1["funnel_n"]) and type_1["outlier"] == ""
    assert shown(rows, "U1", "44")[::2] == (55, 61.0)


def example_9_1(policy=SDC_2):
    records = [
        row("pdu", "U1", "32.3", "proportion", 30, 40, ci95_low=59.8, ci95_high=85.8),
        row("pdu", "U2", "32.3", "proportion", 5, 25, ci95_low=8.9, ci95_high=39.1),
        row("pdu", "U3", "32.3", "proportion", 48, 60, ci95_low=68.2, ci95_high=88.2),
        row("icb", "ICB1", "32.3", "proportion", 83, 125, ci95_low=57.7, ci95_high=74.1),
    ]
    rows = pd.DataFrame(records)
    cells, homes = cells_of(rows, set())
    constraints = build_constraints(cells, UNITS_IN_ICB)
    control(rows, cells, constraints, policy)
    return rows, cells, homes, constraints


def test_the_recovery_check_passes_a_release_that_hides_enough():
    rows, cells, homes, constraints = example_9_1()
    assert check_release(rows, cells, homes, constraints, SDC_2, ["value"]) == []


def test_the_recovery_check_fails_a_percentage_that_gives_its_hidden_count_back():
    """U1's numerator is hidden (secondary) to protect U2's; publishing U1's percentage with
    its limits gives 30 of 40 back, and then the ICB's total gives U2's 5 by subtraction."""
    rows, cells, homes, constraints = example_9_1()
    u1 = rows.index[rows["code"] == "U1"][0]
    rows.loc[u1, ["withheld", "value", "ci95_low", "ci95_high"]] = [False, 75.0, 59.8, 85.8]
    rows.loc[u1, "suppression_reason"] = ""
    failures = check_release(rows, cells, homes, constraints, SDC_2, ["value"])
    assert {(f.check, f.area_code) for f in failures} == {
        ("withheld cell recoverable", "U1"), ("withheld cell recoverable", "U2"),
    }  # fmt: skip
    by_area = {f.area_code: f.detail for f in failures}
    assert "numerator is given back by the published value and its limits" in by_area["U1"]
    assert "given back by subtraction within a constraint" in by_area["U2"]
    # SDC-1 releases are checked as they always were: without §5.4.
    assert check_release(rows, cells, homes, constraints, SDC_1, ["value"]) == []


def test_the_recovery_check_fails_a_mean_whose_spread_gives_its_hidden_count_back():
    rows = pd.DataFrame(worked_example_9_4())
    cells, homes = cells_of(rows, set())
    constraints = build_constraints(cells, [])
    control(rows, cells, constraints, SDC_2)
    type_1 = rows.index[rows["category"] == "1"][0]
    rows.loc[type_1, "sd"] = 9.0  # with the interval's width, n comes back within a few
    failures = check_release(rows, cells, homes, constraints, SDC_2, ["value"])
    assert [(f.check, f.category) for f in failures] == [("withheld cell recoverable", "1")]
    assert "SD, z-score or limits" in failures[0].detail


def test_subtraction_follows_what_it_gives_back_across_constraints():
    """A chain: the first constraint has one unknown; once known, it leaves the second with
    one; the third keeps two unknowns (no single subtraction gives either)."""
    constraints = disclosure.Constraints.build(
        [("first", np.array([0, 1]), 2), ("second", np.array([1, 3]), 4),
         ("third", np.array([5, 6]), 7)]
    )  # fmt: skip
    unknown = np.array([False, True, False, True, False, True, True, False])
    recovered = disclosure.recovered_by_subtraction(constraints, unknown)
    assert recovered.tolist() == [False, True, False, True, False, False, False, False]
