"""Peer units: each unit's most similar units by the children it cares for (ADR 0013).

Pure functions over the published case mix (KPI 1 and its breakdowns, KPI 2): no database.
Each feature is standardised across the units (z-score), weighted so that each of the five
aspects (size, age mix, type 1 share, deprivation mix, new diagnoses) counts the same, and the
peers are the nearest units by weighted Euclidean distance. A unit is matched only when its size
and at least MIN_KNOWN features are published; a feature its release withholds (a small count)
is then taken as the units' mean, which adds no distance on that feature.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

PEER_COUNT = 10
MIN_KNOWN = 4  # published features (of 7, size among them) a unit needs to be matched


@dataclass(frozen=True)
class PeerFeature:
    key: str
    label: str
    weight: float  # each aspect weighs 1 in total
    percent: bool = True  # a share of the unit's children (else the size)


PEER_FEATURES: tuple[PeerFeature, ...] = (
    PeerFeature("children", "Children (log scale)", 1.0, percent=False),
    PeerFeature("under_12", "Under 12", 0.5),
    PeerFeature("16_and_over", "16 and over", 0.5),
    PeerFeature("type_1", "Type 1", 1.0),
    PeerFeature("imd_1", "Most deprived fifth (IMD 1)", 0.5),
    PeerFeature("imd_4_5", "Least deprived two fifths (IMD 4-5)", 0.5),
    PeerFeature("new_diagnoses", "New diagnoses", 1.0),
)

# Where each feature comes from: (measure, breakdown, categories) over KPI 1's total.
FEATURE_SOURCES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "under_12": ("1", "age_12", ("under_12",)),
    "16_and_over": ("1", "age_16", ("16_and_over",)),
    "type_1": ("1", "diabetes_type", ("1",)),
    "imd_1": ("1", "imd_quintile", ("1",)),
    "imd_4_5": ("1", "imd_quintile", ("4", "5")),
    "new_diagnoses": ("2", "", ("",)),
}


def unit_features(
    totals: Mapping[str, int | None], counts: Mapping[tuple[str, str, str, str], int | None]
) -> dict[str, dict[str, float | None]]:
    """Each unit's features: its children and the shares (%) of them in each group.

    `totals`: KPI 1 by unit code (None if withheld); `counts`: the published count by
    (unit code, measure, breakdown, category), None where withheld."""
    features = {}
    for code, total in totals.items():
        row: dict[str, float | None] = {"children": float(total) if total else None}
        for key, (measure, breakdown, categories) in FEATURE_SOURCES.items():
            parts = [counts.get((code, measure, breakdown, c)) for c in categories]
            known = total and all(p is not None for p in parts)
            row[key] = 100 * sum(parts) / total if known else None
        features[code] = row
    return features


def _standardised(features: Mapping[str, Mapping[str, float | None]]) -> np.ndarray:
    """Units by features, each column as z-scores; withheld features at 0 (the mean)."""
    columns = []
    for feature in PEER_FEATURES:
        values = np.array(
            [_scale(feature, row.get(feature.key)) for row in features.values()], dtype=float
        )
        known = values[np.isfinite(values)]
        mean = known.mean() if len(known) else 0.0
        sd = known.std() if len(known) > 1 else 0.0
        z = (values - mean) / sd if sd > 0 else np.zeros_like(values)
        columns.append(np.where(np.isfinite(z), z, 0.0))
    return np.column_stack(columns) if columns else np.zeros((len(features), 0))


def _scale(feature: PeerFeature, value: float | None) -> float:
    if value is None:
        return math.nan
    return math.log(value) if not feature.percent and value > 0 else value


def _matchable(row: Mapping[str, float | None]) -> bool:
    known = sum(row.get(f.key) is not None for f in PEER_FEATURES)
    return row.get("children") is not None and known >= MIN_KNOWN


def nearest_peers(
    features: Mapping[str, Mapping[str, float | None]], code: str, k: int = PEER_COUNT
) -> list[tuple[str, float]]:
    """The k units nearest to `code` (code, distance), nearest first; ties by code."""
    codes = [c for c, row in features.items() if _matchable(row)]
    if code not in codes:
        return []  # too little of its case mix is published to find units like it
    z = _standardised({c: features[c] for c in codes})
    weights = np.array([f.weight for f in PEER_FEATURES])
    own = z[codes.index(code)]
    distances = np.sqrt(((z - own) ** 2 * weights).sum(axis=1))
    ranked = sorted((float(d), c) for c, d in zip(codes, distances, strict=True) if c != code)
    return [(c, round(d, 3)) for d, c in ranked[:k]]
