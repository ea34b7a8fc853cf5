"""Peer units by case mix (ADR 0013): hand-checked features and distances."""

import math

import pytest

from aggregation.peers import PEER_FEATURES, nearest_peers, unit_features


def counts(code, *, under_12, over_16, type_1, imd_1, imd_4, imd_5, new):
    return {
        (code, "1", "age_12", "under_12"): under_12,
        (code, "1", "age_16", "16_and_over"): over_16,
        (code, "1", "diabetes_type", "1"): type_1,
        (code, "1", "imd_quintile", "1"): imd_1,
        (code, "1", "imd_quintile", "4"): imd_4,
        (code, "1", "imd_quintile", "5"): imd_5,
        (code, "2", "", ""): new,
    }


def test_features_are_shares_of_the_units_children():
    features = unit_features(
        {"A": 200},
        counts("A", under_12=80, over_16=40, type_1=180, imd_1=50, imd_4=30, imd_5=10, new=20),
    )
    assert features["A"] == {
        "children": 200.0, "under_12": 40.0, "16_and_over": 20.0, "type_1": 90.0,
        "imd_1": 25.0, "imd_4_5": 20.0, "new_diagnoses": 10.0,
    }  # fmt: skip


def test_a_withheld_count_leaves_its_feature_unknown():
    found = counts("A", under_12=None, over_16=40, type_1=180, imd_1=50, imd_4=None, imd_5=10,
                   new=20)  # fmt: skip
    features = unit_features({"A": 200, "B": None}, found)
    assert features["A"]["under_12"] is None and features["A"]["imd_4_5"] is None
    assert features["A"]["16_and_over"] == 20.0
    assert all(v is None for v in features["B"].values())  # no total: nothing is known


def row(children, under_12=40.0, over_16=20.0, type_1=90.0, imd_1=20.0, imd_4_5=40.0, new=10.0):
    return {"children": children, "under_12": under_12, "16_and_over": over_16,
            "type_1": type_1, "imd_1": imd_1, "imd_4_5": imd_4_5, "new_diagnoses": new}  # fmt: skip


def test_the_nearest_units_differ_least_on_the_standardised_features():
    # Only size differs: log sizes 100, 200, 400, 800 are evenly spaced.
    features = {"A": row(100), "B": row(200), "C": row(400), "D": row(800)}
    assert [code for code, _ in nearest_peers(features, "B")] == ["A", "C", "D"]
    # z-scores of log sizes: spacing log 2 over the SD of (0, 1, 2, 3) x log 2 = sqrt(1.25).
    distances = dict(nearest_peers(features, "B"))
    assert distances["A"] == pytest.approx(1 / math.sqrt(1.25), abs=1e-3)
    assert distances["D"] == pytest.approx(2 / math.sqrt(1.25), abs=1e-3)


def test_every_aspect_weighs_the_same_and_the_unit_is_never_its_own_peer():
    assert sum(f.weight for f in PEER_FEATURES) == 5  # size, age, type 1, deprivation, new
    features = {
        "A": row(100, type_1=80.0),
        "B": row(100, type_1=90.0),  # one aspect (type 1) apart from A
        "C": row(100, under_12=30.0, over_16=30.0),  # the age aspect, both halves, apart
    }
    peers = dict(nearest_peers(features, "B", k=5))
    assert "B" not in peers and set(peers) == {"A", "C"}
    # The same standardised gap (2.121) on one weight-1 feature or two weight-0.5 ones.
    assert peers["A"] == pytest.approx(2.121, abs=1e-3)
    assert peers["C"] == pytest.approx(peers["A"], abs=1e-3)


def test_an_unknown_feature_counts_as_the_mean():
    features = {"A": row(100, type_1=None), "B": row(100, type_1=80.0),
                "C": row(100, type_1=100.0)}  # fmt: skip
    peers = dict(nearest_peers(features, "A"))
    assert peers["B"] == pytest.approx(peers["C"])  # A sits at the mean, between them


def test_k_limits_the_list_and_an_unknown_unit_has_no_peers():
    features = {code: row(100 + i) for i, code in enumerate("ABCDEFGHIJKLMN")}
    assert len(nearest_peers(features, "A")) == 10
    assert len(nearest_peers(features, "A", k=3)) == 3
    assert nearest_peers(features, "ZZ") == []


def test_units_with_too_little_published_are_not_matched():
    sparse = {"children": 100.0, "under_12": None, "16_and_over": None, "type_1": 90.0,
              "imd_1": None, "imd_4_5": None, "new_diagnoses": None}  # fmt: skip
    unknown_size = row(None)
    features = {"A": row(100), "B": row(200), "S": sparse, "U": unknown_size}
    assert [c for c, _ in nearest_peers(features, "A")] == ["B"]  # S and U left out
    assert nearest_peers(features, "S") == []  # nothing to match it on
