"""Bad requests a probe sends (security issue 19), shared by the Dash guard and fuzz tests: the
callback bodies each Dash app must refuse with a 400, and the bad query strings every page must
answer below 500. Plain Python, no Django import."""

import json
from collections.abc import Callable
from dataclasses import dataclass

from dashboards.callback_requests import FUNNEL_OUTPUTS, TREND_OUTPUTS, location_request
from dashboards.map_outputs import update_request

DASH_APPS = ("map_explorer", "funnel_explorer", "unit_profile", "reference_map")


def good_callback_body(app: str) -> dict:
    """A body the app's page really sends. The reference map has no callback, so every body is
    wrong for it; it gets the unit page's."""
    if app == "map_explorer":
        return update_request("?level=icb", ["icb", ""])
    if app == "funnel_explorer":
        return location_request(FUNNEL_OUTPUTS, "/benchmarking/44/", "")
    return location_request(TREND_OUTPUTS, "/units/PZ041/", "")


@dataclass(frozen=True)
class BadBody:
    name: str
    body: bytes
    reason: str  # a few words the refusal must contain (when the app has the callback)


Change = Callable[[dict], dict | None]  # a good body, changed; None when it does not apply


def _with(key: str, value) -> Change:
    return lambda body: {**body, key: value}


def _without(key: str) -> Change:
    return lambda body: {k: v for k, v in body.items() if k != key}


def _first(key: str, **item) -> Change:
    """The first input (or state item) changed; None if the body has none."""

    def change(body: dict) -> dict | None:
        if not body.get(key):
            return None
        return {**body, key: [{**body[key][0], **item}, *body[key][1:]]}

    return change


def _last_input(value) -> Change:
    def change(body: dict) -> dict:
        last = {**body["inputs"][-1], "value": value}
        return {**body, "inputs": [*body["inputs"][:-1], last]}

    return change


def _reversed(key: str) -> Change:
    return lambda body: {**body, key: body[key][::-1]} if len(body.get(key, [])) > 1 else None


def _other_first_output(body: dict) -> dict:
    return {**body, "outputs": [{**body["outputs"][0], "id": "other"}, *body["outputs"][1:]]}


def _state_for_stateless(body: dict) -> dict | None:
    if body.get("state"):
        return None
    return {**body, "state": [{"id": "shown-place", "property": "data", "value": None}]}


def _without_state(body: dict) -> dict | None:
    return _without("state")(body) if body.get("state") else None


def _empty_state(body: dict) -> dict | None:
    return {**body, "state": []} if body.get("state") else None


CHANGES: tuple[tuple[str, Change, str], ...] = (
    ("output not a callback", _with("output", "x.y"), "callback"),
    ("output a list", _with("output", ["x"]), "callback"),
    ("no output", _without("output"), "callback"),
    ("outputs an object", _with("outputs", {}), "outputs"),
    ("no outputs", _without("outputs"), "outputs"),
    ("outputs one short", lambda b: {**b, "outputs": b["outputs"][:-1]}, "outputs"),
    ("outputs in another order", _reversed("outputs"), "outputs"),
    ("outputs as the single form", lambda b: {**b, "outputs": b["outputs"][0]}, "outputs"),
    ("outputs of another component", _other_first_output, "outputs"),
    ("inputs empty", _with("inputs", []), "inputs"),
    ("5,000 inputs", lambda b: {**b, "inputs": b["inputs"][:1] * 5_000}, "too large"),
    ("inputs an object", lambda b: {**b, "inputs": b["inputs"][0]}, "inputs"),
    ("inputs a string", _with("inputs", "x"), "inputs"),
    ("no inputs", _without("inputs"), "inputs"),
    ("an input a string", lambda b: {**b, "inputs": ["url.search"]}, "inputs"),
    ("an extra input", lambda b: {**b, "inputs": [*b["inputs"], b["inputs"][0]]}, "inputs"),
    ("inputs in another order", _reversed("inputs"), "inputs"),
    ("an input of another component", _first("inputs", id="other"), "inputs"),
    ("an input of another property", _first("inputs", property="hash"), "inputs"),
    ("an input object value", _first("inputs", value={"a": 1}), "url."),
    ("an input list value", _first("inputs", value=["/units/"]), "url."),
    ("an input number value", _first("inputs", value=7), "url."),
    ("an input true value", _first("inputs", value=True), "url."),
    ("NUL in the first input", _first("inputs", value="/units/\x00/"), "NUL"),
    ("NUL in the last input", _last_input("?unit=\x00"), "NUL"),
    ("an input of 2,001 characters", _last_input("?" + "a" * 2_000), "2,000"),
    ("an input of 2.3 MB", _last_input("?" + "a" * 2_300_000), "too large"),
    ("changedPropIds a string", _with("changedPropIds", "url.search"), "changedPropIds"),
    ("changedPropIds an object", _with("changedPropIds", {"url.search": 1}), "changedPropIds"),
    ("no changedPropIds", _without("changedPropIds"), "changedPropIds"),
    ("changedPropIds a number", _with("changedPropIds", [5]), "changedPropIds"),
    ("changedPropIds undeclared", _with("changedPropIds", ["x.y"]), "changedPropIds"),
    ("changedPropIds a state", _with("changedPropIds", ["shown-place.data"]), "changedPropIds"),
    ("changedPropIds repeated", _with("changedPropIds", ["url.search"] * 2), "changedPropIds"),
    ("parsedChangedPropsIds undeclared", _with("parsedChangedPropsIds", ["x.y"]),
     "parsedChangedPropsIds"),
    ("state a string", _with("state", "x"), "state"),
    ("state an object", _with("state", {"id": "shown-place"}), "state"),
    ("state for a callback without", _state_for_stateless, "state"),
    ("no state", _without_state, "state"),
    ("state empty", _empty_state, "state"),
    ("state of another component", _first("state", id="other"), "state"),
    ("state an object value", _first("state", value={"a": 1}), "shown-place.data"),
    ("state a string value", _first("state", value="pdu"), "shown-place.data"),
    ("state of 3 items", _first("state", value=["pdu", "", ""]), "shown-place.data"),
    ("state with a number", _first("state", value=["pdu", 3]), "shown-place.data"),
    ("state with a long area", _first("state", value=["pdu", "E" * 41]), "shown-place.data"),
    ("state with NUL", _first("state", value=["pdu", "\x00"]), "shown-place.data"),
    ("padding past 16 KB", _with("padding", "x" * 17_000), "too large"),
)  # fmt: skip
RAW_BODIES: tuple[tuple[str, bytes, str], ...] = (
    ("[ x 100,000", b"[" * 100_000, "too large"),
    ("[ x 10,000", b"[" * 10_000, "deep"),
    ("nested 8 deep", json.dumps({"output": [[[[[[[["x"]]]]]]]]}).encode(), "deep"),
    ("not JSON", b"not json", "JSON"),
    ("invalid UTF-8", b'{"output": "\xff"}', "JSON"),
    ("a JSON list", b"[]", "object"),
    ("empty", b"", "JSON"),
)


APPS_WITHOUT_CALLBACKS = ("reference_map",)
BODY_REASONS = ("too large", "deep", "JSON", "object")  # found before the callback is looked up


def expected_reason(app: str, bad: BadBody) -> str:
    """What the refusal says: an app without callbacks refuses any well-formed body for not
    naming one of its callbacks."""
    if app in APPS_WITHOUT_CALLBACKS and bad.reason not in BODY_REASONS:
        return "callback"
    return bad.reason


def bad_callback_bodies(app: str) -> list[BadBody]:
    """Every bad body that applies to the app's callback, each changing one thing."""
    good = good_callback_body(app)
    changed = [(name, change(good), reason) for name, change, reason in CHANGES]
    bodies = [BadBody(name, json.dumps(body).encode(), reason)
              for name, body, reason in changed if body is not None]  # fmt: skip
    return bodies + [BadBody(name, body, reason) for name, body, reason in RAW_BODIES]


# Query strings (already encoded) for the pages. Each odd value goes into every parameter name
# the pages read at once (a page reports or falls back on each one it reads, so none hides
# another), which keeps the probe to a few requests a URL. A NUL must get exactly a 400;
# anything else just no 500.
PARAMETERS = ("unit", "release", "measure", "level", "area", "sort", "colour", "format", "chart",
              "limits", "next", "q", "year")  # fmt: skip
ODD_VALUES = (
    "a" * 5_000,
    "%C4%B1",  # a dotless i (U+0131): upper-cases to a plain "I"
    "%EF%BD%90",  # a fullwidth p (U+FF50): NFKC-normalises to "p"
    "%",  # a lone percent sign
    "%ff",  # not UTF-8
)
ODD_KEYS = ("%ff=1", "%=1", "%C4%B1=1", "&&&=&", "unit")


def nul_queries() -> list[str]:
    """A NUL in each parameter's value, and in a key."""
    return [f"{name}=%00" for name in PARAMETERS] + ["%00=1", "unit%00=PZ041", "a=%00b"]


def odd_value_queries() -> list[str]:
    """Each odd value in every parameter, and every parameter repeated."""
    each_value = ["&".join(f"{name}={value}" for name in PARAMETERS) for value in ODD_VALUES]
    return [*each_value, "&".join(f"{name}=1&{name}=2" for name in PARAMETERS)]


def odd_queries() -> list[str]:
    return odd_value_queries() + list(ODD_KEYS)
