"""A unit's children across audit years, as in a real audit: the same children come back year
after year (same identifier, date of birth, sex, ethnicity, diabetes type and diagnosis date),
new diagnoses join, and leavers (transition to adult services, moves, deaths) leave.

The roster of a unit is simulated from 2020-21 (the first audit period the platform knows) to
the year asked for, each year from its own random stream, so a year's children depend only on
the seed, the unit and the years before it, never on which other units or years are generated.
Each year holds the unit's size in that year (`size_in`): the children still in the unit plus
new ones.
"""

import re
from dataclasses import dataclass
from datetime import date

import numpy as np

from . import parameters as p
from .plan import CohortPlan, Stream, UnitPlan, key_number, make_rng

FIRST_YEAR = 2020


@dataclass
class Children:
    """Children as parallel arrays (dates as proleptic ordinals, -1 for none)."""

    index: np.ndarray  # the child's place in the unit's roster: its identity across years
    dob: np.ndarray
    sex: np.ndarray
    ethnicity: np.ndarray
    type: np.ndarray
    dx: np.ndarray
    engagement: np.ndarray  # how well the child engages with care, kept from year to year
    postcode: np.ndarray  # home postcode (text)
    imd: np.ndarray  # deprivation quintile of home (1-5), 0 when it has none

    def take(self, which: np.ndarray) -> "Children":
        return Children(**{name: value[which] for name, value in self.__dict__.items()})

    @classmethod
    def join(cls, first: "Children", second: "Children") -> "Children":
        return cls(
            **{name: np.concatenate([value, getattr(second, name)])
               for name, value in first.__dict__.items()}
        )  # fmt: skip


@dataclass
class YearCohort:
    """The children of one unit's submission for one audit year, and what the year holds for
    them: a new diagnosis, leaving the unit, death."""

    children: Children
    new: np.ndarray
    start: np.ndarray  # first day in the unit in the year: S, or the diagnosis date
    reason: np.ndarray  # leaving reason 1-3, 0 when the child stays
    leave: np.ndarray
    death: np.ndarray
    roster_size: int  # children ever in the unit's roster so far: the next one's index


@dataclass(frozen=True)
class Year:
    year: int
    today: date

    @property
    def start(self) -> int:
        return date(self.year, 4, 1).toordinal()

    @property
    def last(self) -> int:
        """The last day with data: the period end, or today while it runs."""
        return min(date(self.year + 1, 3, 31), self.today).toordinal()


def cohort_for(plan: CohortPlan, pz_code: str, year: int, today: date) -> YearCohort:
    """The unit's children in `year`, after simulating its roster from 2020-21."""
    unit = plan.units[pz_code]
    cohort = _first_year(plan.seed, unit, Year(FIRST_YEAR, today))
    for y in range(FIRST_YEAR + 1, year + 1):
        cohort = _next_year(plan.seed, unit, cohort, Year(y, today))
    return cohort


# Drawing children --------------------------------------------------------------------------


def ages_at(dob: np.ndarray, start: int) -> np.ndarray:
    """Completed years of age on the day `start` (an ordinal)."""
    day = date.fromordinal(start)
    births = [date.fromordinal(int(o)) for o in dob]
    return np.array(
        [day.year - b.year - ((day.month, day.day) < (b.month, b.day)) for b in births],
        dtype=np.int64,
    )


def _draw_children(
    rng: np.random.Generator, unit: UnitPlan, year: Year, ages: np.ndarray, first: int
) -> tuple[Children, np.ndarray]:
    """New roster entries of the given ages at the start of `year`, numbered from `first`;
    also whether each is diagnosed in the year (the caller decides the dates)."""
    n = len(ages)
    band = np.array([date(year.year - a, 4, 1).toordinal() for a in range(26)])
    dob = band[ages] - rng.integers(0, band[ages] - band[ages + 1])
    postcodes = _postcodes(rng, unit, n)
    imd = _imd_quintiles(rng, unit, n)
    imd[postcodes == p.NO_FIXED_ABODE_POSTCODE] = 0  # pseudo-postcodes get no index
    children = Children(
        index=first + np.arange(n),
        dob=dob,
        sex=rng.choice(p.SEX_CODES, size=n, p=p.SEX_P / p.SEX_P.sum()),
        ethnicity=rng.choice(p.ETHNICITY_CODES, size=n, p=_ethnicity_mix(unit)),
        type=_diabetes_types(rng, ages),
        dx=np.full(n, -1),
        engagement=rng.normal(0, p.CHILD_ENGAGEMENT_SD, size=n),
        postcode=postcodes,
        imd=imd,
    )
    return children, dob


def _ethnicity_mix(unit: UnitPlan) -> np.ndarray:
    region = unit.info.region
    if region in ("wales", "jersey"):
        return p.ETHNICITY_P["wales"]
    return p.ETHNICITY_P["london" if region == p.LONDON_REGION else "england"]


def _postcodes(rng: np.random.Generator, unit: UnitPlan, n: int) -> np.ndarray:
    """Homes near the unit: its postcode area and nearby districts (a few of no fixed abode)."""
    area, district = _postcode_area(unit)
    districts = np.clip(district + rng.integers(-3, 4, n), 1, max(district + 3, 4))
    sector = rng.integers(0, 10, n)
    letters = rng.choice(p.POSTCODE_INWARD_LETTERS, size=(n, 2))
    homeless = rng.random(n) < p.NO_FIXED_ABODE_P
    parts = zip(
        homeless.tolist(), districts.tolist(), sector.tolist(), letters.tolist(), strict=True
    )
    return np.array(
        [p.NO_FIXED_ABODE_POSTCODE if h else f"{area}{dd}{s}{a}{b}" for h, dd, s, (a, b) in parts],
        dtype=object,
    )


def _postcode_area(unit: UnitPlan) -> tuple[str, int]:
    """The unit's postcode area and district, or a fallback for its region."""
    match = re.match(r"([A-Z]{1,2})(\d{1,2})", unit.info.postcode.upper().replace(" ", ""))
    if match:
        return match.group(1), int(match.group(2))
    area = p.FALLBACK_POSTCODE_AREA.get(unit.info.region, "B")
    return area, 1 + unit.index % 9


def _imd_quintiles(rng: np.random.Generator, unit: UnitPlan, n: int) -> np.ndarray:
    """Home deprivation within the nation (a stand-in for the postcode lookup): none for
    Jersey, whose postcodes have no index."""
    if unit.info.is_jersey:
        return np.zeros(n, dtype=np.int64)
    weights = p.IMD_QUINTILE_WEIGHTS.get(unit.info.region, p.IMD_QUINTILE_WEIGHTS["england"])
    weights = np.asarray(weights, dtype=float)
    return rng.choice(np.arange(1, 6), size=n, p=weights / weights.sum())


def _diabetes_types(rng: np.random.Generator, ages: np.ndarray) -> np.ndarray:
    n = len(ages)
    u = rng.random(n)
    type_2 = np.where(ages >= 10, p.TYPE_2_P_FROM_AGE_10, 0.0)
    types = np.ones(n, dtype=np.int64)
    types[u < type_2] = 2
    other = (u >= type_2) & (u < type_2 + p.OTHER_TYPES_P)
    types[other] = rng.choice(p.OTHER_TYPE_CODES, size=int(other.sum()), p=p.OTHER_TYPE_P)
    return types


def _new_diagnosis_dates(rng, year: Year, dob: np.ndarray) -> np.ndarray:
    days = rng.integers(0, year.last - year.start + 1, size=len(dob))
    return np.maximum(year.start + days, dob)


def _old_diagnosis_dates(rng, year: Year, dob: np.ndarray, types: np.ndarray) -> np.ndarray:
    earliest = dob + np.where(types == 2, 9 * 365, 30)
    earliest = np.minimum(earliest, year.start - 1)
    onset = rng.beta(2.0, 1.6, size=len(dob))
    return earliest + (onset * (year.start - 1 - earliest)).astype(np.int64)


# Years ---------------------------------------------------------------------------------------


def size_in(unit: UnitPlan, year: int) -> int:
    """The unit's number of children in a year: its planned size at the base year, growing
    a little every year (as the number of children with diabetes does)."""
    years = year - p.TREND_BASE_YEAR
    return round(unit.size * (1 + p.TREND_COHORT_GROWTH) ** years)


def _first_year(seed: int, unit: UnitPlan, year: Year) -> YearCohort:
    """2020-21: the unit's children of every age, a few newly diagnosed."""
    rng = make_rng(seed, Stream.ROSTER, key_number(unit.info.pz_code), year.year)
    size = size_in(unit, year.year)
    ages = rng.choice(len(p.AGE_P), size=size, p=p.AGE_P)
    children, dob = _draw_children(rng, unit, year, ages, 0)
    new = (rng.random(size) < p.NEW_DIAGNOSIS_P_BY_AGE[ages]) | (year.start - dob < 60)
    old = _old_diagnosis_dates(rng, year, dob, children.type)
    children.dx = np.where(new, _new_diagnosis_dates(rng, year, dob), old)
    return _the_year(rng, children, new, year, size)


def _next_year(seed: int, unit: UnitPlan, before: YearCohort, year: Year) -> YearCohort:
    """The children who stayed (and are under 25), then new diagnoses up to the unit's size."""
    rng = make_rng(seed, Stream.ROSTER, key_number(unit.info.pz_code), year.year)
    stayed = (before.reason == 0) & (before.death < 0)
    carried = before.children.take(stayed)
    carried = carried.take(ages_at(carried.dob, year.start) < len(p.AGE_P))
    joining = max(size_in(unit, year.year) - len(carried.index), 0)
    ages = rng.choice(len(p.AGE_P), size=joining, p=p.JOINING_AGE_P)
    new_children, dob = _draw_children(rng, unit, year, ages, before.roster_size)
    new_children.dx = _new_diagnosis_dates(rng, year, dob)
    children = Children.join(carried, new_children)
    new = np.concatenate([np.zeros(len(carried.index), bool), np.ones(joining, bool)])
    return _the_year(rng, children, new, year, before.roster_size + joining)


def _the_year(rng, children: Children, new: np.ndarray, year: Year, roster_size: int):
    """Who leaves the unit during the year, and when (transition by age, moves, other), and
    the rare deaths; nobody leaves in their first two weeks."""
    n = len(children.index)
    ages = np.minimum(ages_at(children.dob, year.start), len(p.AGE_P) - 1)
    start = np.where(new, children.dx, year.start)
    transition = p.TRANSITION_P_BY_AGE[ages]
    u = rng.random(n)
    moved, other = np.full(n, p.MOVED_P), np.full(n, p.OTHER_LEAVING_P)
    limits = np.cumsum([transition, moved, other], axis=0)
    reason = np.select([u < limits[0], u < limits[1], u < limits[2]], [1, 2, 3], 0)
    room = year.last - start
    reason[room < 14] = 0
    offset = 14 + (rng.random(n) * np.maximum(room - 13, 1)).astype(np.int64)
    leave = np.where(reason > 0, start + offset, -1)
    dead = (rng.random(n) < p.DEATH_P) & (reason == 0) & (room >= 14)
    offset = 14 + (rng.random(n) * np.maximum(room - 13, 1)).astype(np.int64)
    death = np.where(dead, start + offset, -1)
    return YearCohort(children, new, start, reason, leave, death, roster_size)
