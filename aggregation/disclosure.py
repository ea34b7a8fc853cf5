"""Statistical disclosure control of a release (disclosure-control.md, policy SDC-n), as pure
functions over arrays: primary suppression, secondary suppression over the constraints, the
withholding of derived values, rounding, and the automatic release checks of §5.2.

A *cell* is one published count: an area's (breakdown, category, quantity), where the quantity
names what is counted (`pop:p1` the eligible children, `passed:25` the children with an HbA1c,
`checks_done` ...). A count shown in several rows (P1 is the denominator of many measures and
the value of KPI 1) is one cell, so it is suppressed everywhere at once or nowhere.

A *constraint* is a set of published cells with total = sum of parts (§4): the categories of an
additive breakdown and the total, and child areas within their parent area.

The second half applies this to the rows of a release (aggregation.release_rows): their cells,
the constraints among them, the published columns, the release checks and the suppression log.
"""

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from constants import disclosure as sdc
from constants.breakdowns import BREAKDOWNS
from constants.disclosure import DISPLAY_PLACES
from npda.data_model.identifiers import is_valid_nhs_number

from . import statistics as st
from .release_rows import BENCHMARK_NUMBERS, BENCHMARK_TEXT

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
    means_withheld_with_hidden_counts: bool = True  # SDC-1; SDC-2 (§3.1): only with few
    recovery_check: bool = False  # §5.4 (SDC-2)

    @classmethod
    def from_model(cls, policy) -> "Policy":
        return cls(
            label=policy.label,
            small_count_max=policy.small_count_max,
            rounding_base=policy.rounding_base,
            min_contributors=policy.min_contributors,
            secondary_suppression=policy.secondary_suppression,
            complement_protection=policy.complement_protection,
            means_withheld_with_hidden_counts=policy.means_withheld_with_hidden_counts,
            recovery_check=policy.recovery_check,
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


# The cells and constraints of a release's rows ---------------------------------------------

CELL_ROLE = {"count": "count", "mean": "count", "median": "count"}  # the numerator's role
AVERAGE_KINDS = ("mean", "median")
RATE_KINDS = ("proportion", "check_proportion", "events")  # limits that give the counts back
VALUE_ROLE = {
    "proportion": "percentage",
    "check_proportion": "percentage",
    "mean": "mean",
    "median": "median",
    "events": "rate",
}
CELL_KEY = ["level", "code", "breakdown", "category", "quantity"]


def cells_of(rows: pd.DataFrame, sensitive: set[str]) -> tuple[Cells, pd.DataFrame]:
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
    cells = Cells(
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


def build_constraints(cells: Cells, relations: list[tuple[str, str, pd.DataFrame]]) -> Constraints:
    """§4: the categories of every additive breakdown with their total, and child areas with
    their parent area, for each quantity. Each must add up (checked). Keys are integer codes
    (area, breakdown category, quantity): string joins would cost most of the time."""
    area_names = pd.Series(cells.level + "|" + cells.code)
    area, areas = pd.factorize(area_names)
    combo, _ = pd.factorize(pd.Series(cells.breakdown + "|" + cells.category))
    quantity, _ = pd.factorize(pd.Series(cells.quantity))
    frame = pd.DataFrame(
        {"area": area, "combo": combo, "quantity": quantity, "true": cells.true,
         "cell": np.arange(len(cells)), "breakdown": cells.breakdown}
    )  # fmt: skip
    kinds: list[str] = []  # what each kind of constraint is, for its name
    memberships = []

    def add(kind: str, joined: pd.DataFrame) -> None:
        kinds.append(kind)
        memberships.append(joined.assign(kind=len(kinds) - 1))

    totals = frame[frame["breakdown"] == ""]
    for key in (b.key for b in BREAKDOWNS if b.additive):
        parts = frame[frame["breakdown"] == key]
        add(
            f"categories_of_{key}",
            parts.merge(totals, on=["area", "quantity"], suffixes=("", "_total")),
        )
    area_of = {name: i for i, name in enumerate(areas)}
    for child, parent, mapping in relations:
        parent_area = {
            area_of.get(f"{child}|{c}"): area_of.get(f"{parent}|{p}")
            for c, p in zip(mapping["child"], mapping["parent"], strict=True)
        }
        parts = frame[frame["area"].map(parent_area).notna()]
        parts = parts.assign(parent=parts["area"].map(parent_area).astype(np.int64))
        joined = parts.merge(
            frame.rename(columns={"area": "parent"}),
            on=["parent", "combo", "quantity"],
            suffixes=("", "_total"),
        )
        add(f"{child}s_in_{parent}", joined)
    members = pd.concat(
        [j[["kind", "cell", "true", "cell_total", "true_total"]] for j in memberships],
        ignore_index=True,
    )
    members["con"] = members.groupby(["kind", "cell_total"], sort=False).ngroup()
    sums = members.groupby("con").agg(parts=("true", "sum"), total=("true_total", "first"))
    firsts = members.drop_duplicates("con").sort_values("con")
    names = np.array(
        [
            f"{kinds[k]}:{cells.level[t]}:{cells.code[t]}:{cells.breakdown[t]}:"
            f"{cells.category[t]}:{cells.quantity[t]}"
            for k, t in zip(firsts["kind"], firsts["cell_total"], strict=True)
        ],
        dtype=object,
    )
    wrong = (sums["parts"] != sums["total"]).to_numpy()
    if wrong.any():
        raise RuntimeError(f"A constraint does not add up: {names[np.flatnonzero(wrong)[0]]}")
    con = np.concatenate([members["con"].to_numpy(), firsts["con"].to_numpy()])
    cell = np.concatenate([members["cell"].to_numpy(), firsts["cell_total"].to_numpy()])
    is_total = np.concatenate([np.zeros(len(members), bool), np.ones(len(firsts), bool)])
    return Constraints(con.astype(np.int64), cell.astype(np.int64), is_total, names)


def control(
    rows: pd.DataFrame,
    cells: Cells,
    constraints: Constraints,
    policy: Policy,
) -> None:
    """Primary and secondary suppression of the cells, then the published columns of every
    row: counts as displayed, values withheld where a count they depend on is suppressed (or
    too few children contribute), rounded to their display precision."""
    primary_suppression(cells, policy)
    if policy.secondary_suppression:
        tiebreak = pd.Series(cells.code + "|" + cells.category).rank(method="dense")
        secondary_suppression(cells, constraints, tiebreak.to_numpy())
    shown = displayed_counts(cells, policy)
    has_num, has_den = rows["num_cell"].to_numpy() >= 0, rows["den_cell"].to_numpy() >= 0
    num, den = rows["num_cell"].to_numpy(), rows["den_cell"].to_numpy()
    rows["numerator"] = np.where(has_num, shown[num], np.nan)
    rows["numerator_suppressed"] = has_num & cells.suppressed[num]
    rows["denominator"] = np.where(has_den, shown[den], np.nan)
    rows["denominator_suppressed"] = has_den & cells.suppressed[den]
    count_hidden = (rows["numerator_suppressed"] | rows["denominator_suppressed"]).to_numpy()
    reason = np.where(
        rows["numerator_suppressed"], cells.reason[num],
        np.where(rows["denominator_suppressed"], cells.reason[den], ""),
    )  # fmt: skip
    kind = rows["kind"].to_numpy()
    sensitive = set(cells.quantity[cells.sensitive])
    controlled = (rows["level"] != NATIONAL).to_numpy() | rows["num_key"].isin(sensitive).to_numpy()
    average = rows["kind"].isin(AVERAGE_KINDS).to_numpy()
    few = (
        average & controlled
        & (rows["num_true"].to_numpy() > 0)
        & (rows["num_true"].to_numpy() < policy.min_contributors)
    )  # fmt: skip
    if not policy.means_withheld_with_hidden_counts:
        # SDC-2 (§3.1): a mean or median reveals no count of another category, so only too
        # few contributors withhold it; its hidden count still shows *.
        reason = np.where(average & ~few, "", reason)
    reason = np.where((reason == "") & few, sdc.PRIMARY_FEW_CONTRIBUTORS, reason)
    if policy.complement_protection:
        missing = rows["den_true"].to_numpy() - rows["num_true"].to_numpy()
        complement = (
            rows["kind"].isin(("proportion", "check_proportion")).to_numpy() & controlled
            & (missing >= 1) & (missing <= policy.small_count_max)
        )  # fmt: skip
        reason = np.where((reason == "") & complement, sdc.COMPLEMENT, reason)
    rows["suppression_reason"] = reason
    withheld = reason != ""
    not_applicable = has_den & (rows["den_true"].to_numpy() == 0)
    value = np.where(kind == "count", rows["numerator"], rows["value_true"])
    value = np.where(withheld | not_applicable, np.nan, value)
    rows["value"] = _rounded(value, rows["places"].to_numpy() if "places" in rows else None)
    rows["withheld"] = withheld
    rows["value_note"] = np.select(
        [
            not_applicable & ~withheld,
            pd.Series(reason).isin((sdc.SECONDARY, sdc.COMPLEMENT)).to_numpy(),
            withheld,
        ],
        [sdc.NOTE_NOT_APPLICABLE, sdc.NOTE_SECONDARY, sdc.NOTE_SMALL],
        "",
    )
    hide = withheld | not_applicable
    for name in ("ci95_low", "ci95_high", "ci998_low", "ci998_high"):
        rows[name] = np.where(hide, np.nan, np.round(rows[name].to_numpy(), DISPLAY_PLACES))
    # A value published beside a hidden count (SDC-2's means) keeps its interval, comparison
    # and funnel point, but not what would give the count back: with its SD, the interval's
    # width pins n to within a few children; so do its z-score and its limits at n.
    spread_hidden = hide | count_hidden
    rows["sd"] = np.where(spread_hidden, np.nan, np.round(rows["sd"].to_numpy(), DISPLAY_PLACES))
    _withhold_benchmarking(rows, hide, spread_hidden, policy)


def _rounded(values: np.ndarray, places: np.ndarray | None) -> np.ndarray:
    """Values to their display precision: 1 dp, or a row's own `places` (a pH: 2 dp)."""
    values = np.asarray(values, dtype=float)
    shown = np.round(values, DISPLAY_PLACES)
    if places is not None:
        for p in np.unique(places[~np.isnan(places)]):
            own = places == p
            shown[own] = np.round(values[own], int(p))
    return shown


def _withhold_benchmarking(
    rows: pd.DataFrame, hide: np.ndarray, spread_hidden: np.ndarray, policy
) -> None:
    """Comparisons and funnel points of withheld values go, and the limits and z-score of a
    point whose count is hidden (they give n back); the rest is rounded like the value
    (limits 1 dp, z 2 dp) and the funnel's n like any count, so a point whose count is hidden
    sits at the count rounded (§3.1)."""
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
        rounded_limit = np.round(rows[name].to_numpy(float), DISPLAY_PLACES)
        rows[name] = np.where(spread_hidden, np.nan, rounded_limit)
    rows["z_score"] = np.where(spread_hidden, np.nan, np.round(rows["z_score"].to_numpy(float), 2))
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
    cells: Cells,
    homes: pd.DataFrame,
    constraints: Constraints,
    policy: Policy,
    output_columns: list[str],
) -> list[CheckFailure]:
    """Every failure of the automatic release checks, with its area and measure."""
    failures: list[CheckFailure] = []
    shown = displayed_counts(cells, policy)
    for index in np.flatnonzero(small_count_failures(cells, shown, policy)):
        failures.append(
            _cell_failure(
                "displayed count not protected", cells, homes, index,
                f"shows {int(shown[index])} (counts 1-{policy.small_count_max} must be *, "
                f"others multiples of {policy.rounding_base})",
            )
        )  # fmt: skip
    for con in single_suppression_failures(cells, constraints):
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
    if policy.recovery_check:
        failures += recovery_failures(rows, cells, homes, constraints, policy)
    return failures


def _cell_failure(check, cells, homes, index, detail) -> CheckFailure:
    return CheckFailure(
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
    return CheckFailure(
        check, row["level"], row["code"], row["measure"], row["breakdown"], row["category"], detail
    )


def _identifier_failures(rows: pd.DataFrame, output_columns: list[str]) -> list:
    """No identifier, date of birth or postcode: by field name, and by value pattern (a
    10-digit number passing the NHS check, a UK postcode, a full date)."""
    failures = [
        CheckFailure("identifier field", "", "", "", "", "", f"column {name!r}")
        for name in output_columns
        if IDENTIFIER_FIELDS.search(name)
    ]
    for name in TEXT_OUTPUT_COLUMNS:
        for text in pd.unique(rows[name].astype(str)):
            nhs = is_valid_nhs_number(re.sub(r"[ -]", "", text))
            if nhs or POSTCODE.match(text) or FULL_DATE.search(text):
                failures.append(
                    CheckFailure(
                        "identifier value", "", "", "", "", "", f"{name} holds an identifier"
                    )
                )
    for name in ("numerator", "denominator"):
        values = rows[name].dropna().astype(np.int64)
        for value in values[values >= 1_000_000_000].unique():
            if is_valid_nhs_number(str(value)):
                failures.append(
                    CheckFailure(
                        "identifier value", "", "", "", "", "", f"{name} holds an NHS number"
                    )
                )
    return failures


# §5.4: no withheld cell can be recovered from what is published ---------------------------------


def recovery_failures(
    rows: pd.DataFrame, cells: Cells, homes: pd.DataFrame, constraints: Constraints, policy
) -> list[CheckFailure]:
    """A hidden count given back by a published percentage and its limits (which identify the
    numerator and denominator behind them: §5.4), or by the spread of a mean published beside
    it; then one given back by subtraction within a constraint left with one unknown cell,
    counting every published count as known exactly (the worst case), repeated with what
    comes back until nothing more does."""
    failures = []
    published = ~rows["withheld"].to_numpy() & rows["value"].notna().to_numpy()
    rate = published & rows["kind"].isin(RATE_KINDS).to_numpy()
    given_back = np.zeros(len(cells), dtype=bool)
    for side, name in (("num", "numerator"), ("den", "denominator")):
        cell = rows[f"{side}_cell"].to_numpy()
        exposed = rate & (cell >= 0) & cells.suppressed[np.maximum(cell, 0)]
        given_back[cell[exposed]] = True
        failures += [
            _row_failure(
                "withheld cell recoverable", rows, index,
                f"its hidden {name} is given back by the published value and its limits",
            )
            for index in np.flatnonzero(exposed)
        ]  # fmt: skip
    hidden = (rows["numerator_suppressed"] | rows["denominator_suppressed"]).to_numpy()
    spread = rows[["sd", "z_score", "funnel_lower_95", "funnel_upper_95"]].notna().any(axis=1)
    failures += [
        _row_failure(
            "withheld cell recoverable", rows, index,
            "its hidden count is given back by the SD, z-score or limits at n",
        )
        for index in np.flatnonzero(published & hidden & spread.to_numpy())
    ]  # fmt: skip
    unknown = cells.suppressed & ~given_back
    for index in np.flatnonzero(recovered_by_subtraction(constraints, unknown)):
        failures.append(
            _cell_failure(
                "withheld cell recoverable", cells, homes, index,
                f"{cells.quantity[index]} is given back by subtraction within a constraint",
            )
        )  # fmt: skip
    return failures


def recovered_by_subtraction(constraints: Constraints, unknown: np.ndarray) -> np.ndarray:
    """The unknown cells that subtraction gives back: a constraint with exactly one unknown
    cell gives it (the total less the other parts, or the parts' sum), which is then known in
    the other constraints it is in; repeated until nothing more comes back."""
    unknown = unknown.copy()
    recovered = np.zeros(len(unknown), dtype=bool)
    con, cell = constraints.con, constraints.cell
    while len(con):
        counts = np.bincount(con, weights=unknown[cell], minlength=len(constraints.names))
        newly = cell[(counts == 1)[con] & unknown[cell]]
        if not len(newly):
            break
        unknown[newly] = False
        recovered[newly] = True
    return recovered


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
                values["suppression_reason"].isin(
                    (sdc.PRIMARY_FEW_CONTRIBUTORS, sdc.COMPLEMENT)
                ),
                values["suppression_reason"],
                sdc.DERIVED_FROM_SUPPRESSED,
            ),
            "constraint_id": "",
            "true_value": values["value_true"].to_numpy(),
            "displayed_value": sdc.SUPPRESSED,
        }
    )  # fmt: skip
    return pd.concat([cell_entries, value_entries], ignore_index=True)
