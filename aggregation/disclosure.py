"""Statistical disclosure control of a release (disclosure-control.md, policy SDC-n), as pure
functions over arrays: primary suppression, secondary suppression over the constraints, the
withholding of derived values, rounding, and the automatic release checks of §5.2.

A *cell* is one published count: an area's (breakdown, category, quantity), where the quantity
names what is counted (`pop:p1` the eligible children, `passed:25` the children with an HbA1c,
`checks_done` ...). A count shown in several rows (P1 is the denominator of many measures and
the value of KPI 1) is one cell, so it is suppressed everywhere at once or nowhere.

A *constraint* is a set of published cells with total = sum of parts (§4): the categories of an
additive breakdown and the total, and child areas within their parent area.
"""

from dataclasses import dataclass, field

import numpy as np

from constants import disclosure as sdc

NATIONAL = "national"


@dataclass(frozen=True)
class Policy:
    """The parameters of one stored policy version that the functions below need."""

    label: str
    small_count_max: int
    rounding_base: int
    min_contributors: int
    secondary_suppression: bool
    complement_protection: bool

    @classmethod
    def from_model(cls, policy) -> "Policy":
        return cls(
            label=policy.label,
            small_count_max=policy.small_count_max,
            rounding_base=policy.rounding_base,
            min_contributors=policy.min_contributors,
            secondary_suppression=policy.secondary_suppression,
            complement_protection=policy.complement_protection,
        )


@dataclass
class Cells:
    """Every count cell of a release, as parallel arrays; `suppressed`, `reason` and
    `constraint` are filled by the functions below."""

    level: np.ndarray  # object arrays of text
    code: np.ndarray
    breakdown: np.ndarray
    category: np.ndarray
    quantity: np.ndarray
    true: np.ndarray  # int64
    sensitive: np.ndarray  # bool: a sensitive measure's count (national level not exempt)
    suppressed: np.ndarray = field(init=False)
    reason: np.ndarray = field(init=False)
    constraint: np.ndarray = field(init=False)  # the constraint behind a secondary suppression

    def __post_init__(self) -> None:
        size = len(self.true)
        self.suppressed = np.zeros(size, dtype=bool)
        self.reason = np.full(size, "", dtype=object)
        self.constraint = np.full(size, "", dtype=object)

    def __len__(self) -> int:
        return len(self.true)

    @property
    def controlled(self) -> np.ndarray:
        """Cells the count rules apply to: every sub-national cell, and sensitive ones."""
        return (self.level != NATIONAL) | self.sensitive


@dataclass(frozen=True)
class Constraints:
    """Memberships: constraint `con[i]` has cell `cell[i]`, its total when `is_total[i]`."""

    con: np.ndarray
    cell: np.ndarray
    is_total: np.ndarray
    names: np.ndarray  # one readable id per constraint

    @classmethod
    def build(cls, groups: list[tuple[str, np.ndarray, int]]) -> "Constraints":
        """From (name, part cells, total cell) triples."""
        sizes = np.array([len(parts) + 1 for _, parts, _ in groups], dtype=np.int64)
        con = np.repeat(np.arange(len(groups)), sizes)
        cell = np.concatenate(
            [np.append(parts, total) for _, parts, total in groups] or [np.array([], int)]
        ).astype(np.int64)
        is_total = np.zeros(len(cell), dtype=bool)
        is_total[np.cumsum(sizes) - 1] = True
        names = np.array([name for name, _, _ in groups], dtype=object)
        return cls(con, cell, is_total, names)

    def suppressed_counts(self, suppressed: np.ndarray) -> np.ndarray:
        """The number of suppressed cells in each constraint."""
        return np.bincount(self.con, weights=suppressed[self.cell], minlength=len(self.names))


# §3, §5.1 step 3: primary suppression -------------------------------------------------------


def primary_suppression(cells: Cells, policy: Policy) -> None:
    """Counts 1 .. small_count_max below national level (and of sensitive measures at every
    level) are suppressed."""
    small = (cells.true >= 1) & (cells.true <= policy.small_count_max) & cells.controlled
    cells.suppressed |= small
    national_sensitive = small & (cells.level == NATIONAL)
    cells.reason[small] = sdc.PRIMARY_SMALL_COUNT
    cells.reason[national_sensitive] = sdc.SENSITIVE_MEASURE


# §4: secondary suppression ---------------------------------------------------------------------


def secondary_suppression(cells: Cells, constraints: Constraints, tiebreak: np.ndarray) -> int:
    """While a constraint has exactly one suppressed cell, suppress in each such constraint its
    unsuppressed part with the smallest non-zero true value (ties by `tiebreak`, a rank of the
    area code then category), or else its total. Returns the number of passes."""
    if not len(constraints.con):
        return 0
    # Within each constraint: parts first, by true value, then by the tie-break rank.
    order = np.lexsort(
        (tiebreak[constraints.cell], cells.true[constraints.cell], constraints.is_total,
         constraints.con)
    )  # fmt: skip
    con, cell, is_total = (
        constraints.con[order],
        constraints.cell[order],
        constraints.is_total[order],
    )
    passes = 0
    while True:
        counts = np.bincount(con, weights=cells.suppressed[cell], minlength=len(constraints.names))
        needs = counts == 1
        if not needs.any():
            return passes
        passes += 1
        candidate = needs[con] & ~cells.suppressed[cell] & ~is_total & (cells.true[cell] > 0)
        with_part, first = np.unique(con[candidate], return_index=True)
        chosen = cell[candidate][first]
        without_part = needs.copy()
        without_part[with_part] = False
        total = without_part[con] & is_total & ~cells.suppressed[cell]
        newly, where = np.unique(
            np.concatenate([chosen, cell[total]]), return_index=True
        )  # each cell once, with the first constraint that asked for it
        triggering = np.concatenate([with_part, con[total]])[where]
        if not len(newly):  # nothing left to suppress: the release check reports it
            return passes
        cells.suppressed[newly] = True
        cells.reason[newly] = sdc.SECONDARY
        cells.constraint[newly] = constraints.names[triggering]


# §3, §5.1 step 6: rounding ----------------------------------------------------------------------


def displayed_counts(cells: Cells, policy: Policy) -> np.ndarray:
    """What is shown for every cell: NaN when suppressed, the exact count at national level
    (sensitive measures excepted), else rounded to the nearest multiple of the base."""
    base = policy.rounding_base
    rounded = np.floor(cells.true / base + 0.5) * base
    shown = np.where(cells.controlled, rounded, cells.true).astype(float)
    shown[cells.suppressed] = np.nan
    return shown


# §5.2: automatic release checks ---------------------------------------------------------------


@dataclass(frozen=True)
class CheckFailure:
    check: str
    level: str
    area_code: str
    measure: str
    breakdown: str
    category: str
    detail: str

    def __str__(self) -> str:
        where = f"{self.level} {self.area_code}, measure {self.measure}"
        if self.breakdown:
            where += f", {self.breakdown} = {self.category}"
        return f"{self.check}: {where}: {self.detail}"


def small_count_failures(cells: Cells, shown: np.ndarray, policy: Policy) -> np.ndarray:
    """Cells whose displayed count breaks the count rules (1-7 shown, or not rounded)."""
    controlled = cells.controlled & ~np.isnan(shown)
    small = controlled & (shown >= 1) & (shown <= policy.small_count_max)
    unrounded = controlled & (np.mod(np.nan_to_num(shown), policy.rounding_base) != 0)
    return small | unrounded


def single_suppression_failures(cells: Cells, constraints: Constraints) -> np.ndarray:
    """Constraints with exactly one suppressed cell (its value could be recovered)."""
    return np.flatnonzero(constraints.suppressed_counts(cells.suppressed) == 1)
