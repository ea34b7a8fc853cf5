"""The cohort plan: unit sizes, outlier units and unit/region random effects.

Everything a unit's children depend on is derived from the seed and that unit's own codes, never
from which other units are generated, so `--pdu` gives the same children as a national run. Unit
sizes and effects do not depend on the audit year (a unit keeps its size and its quality from
year to year, with the national trend of `UnitEffects.in_year` on top); the children are the
unit's roster in that year (npda.synthetic.roster).
"""

import zlib
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from constants.csv_template import JERSEY_PZ_CODE

from . import parameters as p


class Stream(IntEnum):
    """Independent random streams, so adding a draw to one never shifts another."""

    UNIT_SIZE = 1
    OUTLIERS = 2
    REGION_EFFECTS = 3
    UNIT_EFFECTS = 4
    CHILDREN = 5  # a year's draws for the unit's children (visits and care)
    ROSTER = 6  # who the unit's children are, year by year (npda.synthetic.roster)
    DATASET_2026 = 7  # the 2026 dataset's new items (npda.synthetic.generator._Dataset2026)


def key_number(key: str) -> int:
    """A stable number for a code (PZ code, region code): Python's hash() is salted per run."""
    return zlib.crc32(key.encode())


def make_rng(seed: int, stream: Stream, *keys: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, int(stream), *keys]))


@dataclass(frozen=True)
class UnitInfo:
    """What the generator needs to know about a unit from the reference data."""

    pz_code: str
    region: str  # NHS England region code, "wales" or "jersey": the level of region effects
    postcode: str = ""

    @property
    def is_jersey(self) -> bool:
        """Jersey submits Unique Reference Numbers instead of NHS numbers."""
        return self.pz_code == JERSEY_PZ_CODE


@dataclass(frozen=True)
class UnitEffects:
    """A unit's random effects: logit shifts per care process, technology and HbA1c."""

    care: dict[str, float]
    pump: float
    closed_loop: float
    cgm: float
    hba1c_mean: float  # mmol/mol, the unit's typical child level

    def in_year(self, year: int) -> "UnitEffects":
        """The effects in an audit year: the national trend against the base year applied."""
        years = year - p.TREND_BASE_YEAR
        care, tech = years * p.TREND_CARE_LOGIT, years * p.TREND_TECHNOLOGY_LOGIT
        return UnitEffects(
            care={name: value + care for name, value in self.care.items()},
            pump=self.pump + tech,
            closed_loop=self.closed_loop + tech,
            cgm=self.cgm + tech,
            hba1c_mean=self.hba1c_mean + years * p.TREND_HBA1C,
        )

    def logit(self, process: str, twelve_plus: np.ndarray) -> np.ndarray:
        """Per-child log-odds of having the care process in the year, before the child's own
        engagement."""
        base_12, base_under_12 = p.CARE_PROCESSES[process]
        return np.where(twelve_plus, base_12, base_under_12) + self.care[process]


@dataclass(frozen=True)
class UnitPlan:
    info: UnitInfo
    index: int  # position among all units: picks the unit's GP code block
    size: int
    identifier_block: tuple[int, int]  # (first, count) of the unit's share of the identifier space
    outlier: str | None
    effects: UnitEffects


@dataclass(frozen=True)
class CohortPlan:
    seed: int
    units: dict[str, UnitPlan] = field(default_factory=dict)


def plan_cohort(seed: int, units: list[UnitInfo], total: int) -> CohortPlan:
    """Size every unit (the sizes add up to `total`), pick the outliers and draw the effects."""
    units = sorted(units, key=lambda u: u.pz_code)
    sizes = unit_sizes(seed, units, total)
    outliers = pick_outliers(seed, units, sizes)
    regions = {u.region: region_effects(seed, u.region) for u in units}
    blocks = identifier_blocks(sizes)
    plans = {
        u.pz_code: UnitPlan(
            info=u,
            index=i,
            size=int(sizes[i]),
            identifier_block=blocks[i],
            outlier=outliers.get(u.pz_code),
            effects=unit_effects(seed, u, regions[u.region], outliers.get(u.pz_code)),
        )
        for i, u in enumerate(units)
    }
    return CohortPlan(seed=seed, units=plans)


def identifier_blocks(sizes: np.ndarray) -> list[tuple[int, int]]:
    """Split the identifier space between the units in proportion to their sizes, so that any
    cohort the space can hold fits (equal blocks would run out for the big units)."""
    total = max(int(sizes.sum()), 1)
    counts = np.floor(sizes * p.IDENTIFIER_SPACE / total).astype(np.int64)
    firsts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return [(int(f), int(c)) for f, c in zip(firsts, counts, strict=True)]


def size_bounds(total: int) -> tuple[float, float]:
    scale = total / p.NATIONAL_PATIENTS
    low, high = p.UNIT_SIZE_BOUNDS
    return low * scale, high * scale


def unit_sizes(seed: int, units: list[UnitInfo], total: int) -> np.ndarray:
    """Lognormal unit sizes, clipped to the bounds and scaled so that they add up to `total`."""
    weights = np.array(
        [
            make_rng(seed, Stream.UNIT_SIZE, key_number(u.pz_code)).lognormal(0, p.UNIT_SIZE_SIGMA)
            * (p.JERSEY_SIZE_FACTOR if u.is_jersey else 1.0)
            for u in units
        ]
    )
    low, high = size_bounds(total)
    sizes = total * weights / weights.sum()
    for _ in range(100):  # rescale the unclipped units until the clipped total is right
        clipped = np.clip(sizes, low, high)
        free = (clipped > low) & (clipped < high)
        shortfall = total - clipped.sum()
        if abs(shortfall) < 1e-6 or not free.any():
            break
        sizes = clipped.copy()
        sizes[free] *= 1 + shortfall / clipped[free].sum()
    return largest_remainder(np.clip(sizes, low, high), total)


def largest_remainder(values: np.ndarray, total: int) -> np.ndarray:
    """Round to whole numbers that add up to `total` (ties go to the earlier unit)."""
    floors = np.floor(values).astype(np.int64)
    missing = total - int(floors.sum())
    if missing > 0:
        order = np.lexsort((np.arange(len(values)), -(values - floors)))
        floors[order[:missing]] += 1
    return floors


def pick_outliers(seed: int, units: list[UnitInfo], sizes: np.ndarray) -> dict[str, str]:
    """A few large-enough English units with clearly different results."""
    mean_size = sizes.mean() if len(sizes) else 0
    eligible = [
        u.pz_code
        for u, size in zip(units, sizes, strict=True)
        if size >= p.OUTLIER_MIN_SIZE_SHARE * mean_size and u.region.startswith("E")
    ]
    if len(eligible) < len(p.OUTLIER_KINDS):
        return {}
    chosen = make_rng(seed, Stream.OUTLIERS).choice(
        len(eligible), len(p.OUTLIER_KINDS), replace=False
    )
    return {eligible[i]: kind for i, kind in zip(chosen, p.OUTLIER_KINDS, strict=True)}


@dataclass(frozen=True)
class RegionEffects:
    quality: float
    care: dict[str, float]
    hba1c: float


def region_effects(seed: int, region: str) -> RegionEffects:
    rng = make_rng(seed, Stream.REGION_EFFECTS, key_number(region))
    quality = float(rng.normal())
    care = _correlated_effects(rng, quality, p.REGION_SD)
    return RegionEffects(quality, care, float(rng.normal(0, p.HBA1C_REGION_SD)))


def _correlated_effects(rng: np.random.Generator, quality: float, sd: float) -> dict[str, float]:
    specific = rng.normal(size=len(p.CARE_PROCESSES))
    mix = np.sqrt(1 - p.QUALITY_WEIGHT**2)
    return {
        name: float(sd * (p.QUALITY_WEIGHT * quality + mix * s))
        for name, s in zip(p.CARE_PROCESSES, specific, strict=True)
    }


def unit_effects(
    seed: int, unit: UnitInfo, region: RegionEffects, outlier: str | None
) -> UnitEffects:
    rng = make_rng(seed, Stream.UNIT_EFFECTS, key_number(unit.pz_code))
    quality = float(rng.normal())
    own = _correlated_effects(rng, quality, p.UNIT_SD)
    shift = p.OUTLIER_COMPLETION_SHIFT.get(outlier or "", 0.0)
    care = {name: region.care[name] + own[name] + shift for name in p.CARE_PROCESSES}
    pump, closed_loop, cgm = rng.normal(0, p.TECHNOLOGY_UNIT_SD, size=3)
    overall_quality = p.QUALITY_WEIGHT * quality + (1 - p.QUALITY_WEIGHT) * region.quality
    hba1c = (
        p.HBA1C_NATIONAL_MEAN
        + region.hba1c
        + rng.normal(0, p.HBA1C_UNIT_SD)
        + p.HBA1C_QUALITY_EFFECT * overall_quality  # better-run units: lower HbA1c
    )
    hba1c = p.OUTLIER_HBA1C_MEAN.get(outlier or "", hba1c)
    return UnitEffects(
        care=care,
        pump=float(p.PUMP_LOGIT + pump),
        closed_loop=float(p.CLOSED_LOOP_LOGIT + closed_loop),
        cgm=float(p.CGM_LOGIT + cgm),
        hba1c_mean=float(hba1c),
    )
