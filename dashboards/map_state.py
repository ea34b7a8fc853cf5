"""The map explorer's state: what the URL query string says, checked, and where a click leads.

Everything a view shows follows from its query string (`?level=icb&measure=41&release=latest
&colour=comparison&area=E40000010&sort=-value`), so a view can be bookmarked, shared and
reloaded, and the back button undoes a change. Pure functions: no database, no Dash.
"""

from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode

from constants.kpis import MEASURES_BY_NUMBER

# The levels a person chooses; "pdu" (units) is reached by drilling into an ICB or health board.
MAP_LEVELS = {
    "icb": "Integrated Care Boards",
    "region": "NHS England regions",
    "lhb": "Welsh health boards",
    "country": "Countries",
    "pdu": "Units",
}
COLOURINGS = {"comparison": "Comparison with England and Wales", "value": "Value (5 classes)"}
SORT_KEYS = ("name", "value", "numerator", "denominator", "comparison")
LATEST = "latest"
LIVE_PREFIX = "live-"
DEFAULT_MEASURE = "44"  # mean HbA1c: the audit's headline outcome
ENGLAND, WALES = "E92000001", "W92000004"
NATIONAL = "EW"

# The level whose areas divide an area of each level, for drilling down.
CHILD_LEVEL = {"national": "country", "region": "icb", "icb": "pdu", "lhb": "pdu"}
COUNTRY_CHILD = {ENGLAND: "region", WALES: "lhb"}


@dataclass(frozen=True)
class MapState:
    level: str = "icb"
    measure: str = DEFAULT_MEASURE
    release: str = LATEST  # "latest", a release id, or "live-<audit year>"
    colour: str = "comparison"
    area: str = ""  # show only the areas within this one (a region, ICB, health board, country)
    sort: str = "name"  # a SORT_KEYS key, "-" first for descending

    @property
    def is_live(self) -> bool:
        return self.release.startswith(LIVE_PREFIX)

    @property
    def live_year(self) -> int | None:
        return int(self.release.removeprefix(LIVE_PREFIX)) if self.is_live else None

    def query(self) -> str:
        """The query string of this state, leaving out what is at its default."""
        default = MapState()
        fields = ("level", "measure", "release", "colour", "area", "sort")
        pairs = {f: getattr(self, f) for f in fields if getattr(self, f) != getattr(default, f)}
        return "?" + urlencode(pairs) if pairs else "?"


@dataclass(frozen=True)
class ReleaseChoice:
    value: str  # as in the URL
    label: str


def parse_state(query: str, choices: list[ReleaseChoice]) -> tuple[MapState, list[str]]:
    """The state a query string asks for, and a message for each part that could not be used
    (that part falls back to its default, so a bad link still shows a map)."""
    params = {k: v[-1].strip() for k, v in parse_qs(query.lstrip("?")).items()}
    state, problems = MapState(), []

    def take(name: str, ok: bool, message: str) -> None:
        nonlocal state
        if name in params and params[name] != "":
            if ok:
                state = replace(state, **{name: params[name]})
            else:
                problems.append(message)

    level, measure = params.get("level", ""), params.get("measure", "")
    take("level", level in MAP_LEVELS, f"Unknown level {level!r}: showing ICBs.")
    take("measure", measure in MEASURES_BY_NUMBER, f"Unknown measure {measure!r}.")
    release = params.get("release", "").lower()
    params["release"] = release
    allowed = {c.value for c in choices}
    take("release", release in allowed, _release_problem(release))
    colour = params.get("colour", "")
    take("colour", colour in COLOURINGS, f"Unknown colouring {colour!r}.")
    sort = params.get("sort", "")
    take("sort", sort.removeprefix("-") in SORT_KEYS, f"Unknown sort {sort!r}.")
    area = params.get("area", "")
    take("area", area.isalnum() and len(area) <= 12, f"Unknown area {area!r}.")
    if state.release == LATEST and LATEST not in allowed and choices:
        state = replace(state, release=choices[0].value)
    return state, problems


def _release_problem(release: str) -> str:
    if release.startswith(LIVE_PREFIX):
        return (
            "Live results are for signed-in members of the audit team: showing the latest release."
        )
    return f"Release {release!r} is not available to you: showing the latest final release."


def child_level(level: str, code: str) -> str | None:
    """The level an area's parts are drawn at: a country's regions or health boards, a
    region's ICBs, an ICB's or health board's units."""
    return COUNTRY_CHILD.get(code) if level == "country" else CHILD_LEVEL.get(level)


def drill_target(state: MapState, level: str, code: str) -> MapState | None:
    """Where a click on an area of `level` leads: a region to its ICBs, a country to its regions
    or health boards, an ICB or health board to its units; None for a unit."""
    child = child_level(level, code)
    if child is None:
        return None
    return replace(state, level=child, area=code, sort="name")


@dataclass(frozen=True)
class Crumb:
    label: str
    state: MapState | None  # None: where the person is now


def breadcrumb(state: MapState, ancestors: list[tuple[str, str, str]]) -> list[Crumb]:
    """England and Wales, then each area from the country down to the chosen one.

    `ancestors` is the chosen area's chain as (level, code, name), the country first."""
    crumbs = [Crumb("England and Wales", replace(state, level="country", area=""))]
    for level, code, name in ancestors:
        crumbs.append(Crumb(name, drill_target(state, level, code)))
    if not ancestors:
        crumbs.append(Crumb(MAP_LEVELS[state.level], None))
    else:
        last = crumbs[-1]
        crumbs[-1] = Crumb(last.label, None)
    return crumbs


def sort_link(state: MapState, key: str) -> MapState:
    """The state after clicking a column heading: sort by it, or reverse it if it is the key.
    Values sort best first (lowest first where lower is better), other numbers largest first."""
    if state.sort.removeprefix("-") == key:
        return replace(state, sort=key if state.sort.startswith("-") else f"-{key}")
    lower_is_better = MEASURES_BY_NUMBER[state.measure].polarity == "down"
    ascending = key == "name" or (key == "value" and lower_is_better)
    return replace(state, sort=key if ascending else f"-{key}")


def area_map_query(level: str, code: str, measure: str) -> dict[str, str]:
    """The map explorer's state that shows an area's page: its child areas, or its units."""
    if level == "national":
        return {"level": "country", "measure": measure}
    return {"level": child_level(level, code) or "pdu", "area": code, "measure": measure}
