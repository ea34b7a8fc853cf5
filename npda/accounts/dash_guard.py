"""The Dash guard: django-plotly-dash's endpoints narrowed to what our pages send (issue 11,
issue 19; ADR 0016)."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.http import HttpResponseNotAllowed, HttpResponseNotFound

from npda.accounts.middleware import DASH_PREFIX, NUL, bad_request


class DashGuardMiddleware:
    """django-plotly-dash's URLs, narrowed to what our pages use: each registered app's page,
    layout, dependencies, component bundles and callback endpoint. Anything else (unknown
    apps, instances, `add_stateless_apps`, `_dash-routes`) is a 404, and a callback request
    whose body is not exactly what the app's page sends for one of its declared callbacks is a
    400 (see `_callback_problem`), so that no request, least of all an anonymous one, reaches
    the library's code paths that fail with a 500 or write to the database. A callback leaves
    the session as it found it.

    Every input and state a callback declares needs its accepted values in
    CALLBACK_VALUE_TYPES below: without an entry, every request to the callback is refused."""

    PREFIX = "/django_plotly_dash/app/"
    PARTS = ("", "_dash-layout", "_dash-dependencies", "_dash-update-component")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(DASH_PREFIX):
            return self.get_response(request)
        name, _, rest = request.path.removeprefix(self.PREFIX).partition("/")
        if not request.path.startswith(self.PREFIX) or name not in _dash_callbacks_by_app():
            return HttpResponseNotFound("No such Dash app.")
        if rest.rstrip("/") not in self.PARTS and not rest.startswith("_dash-component-suites/"):
            return HttpResponseNotFound("No such Dash endpoint.")
        if rest != "_dash-update-component":
            if request.method not in ("GET", "HEAD"):
                return HttpResponseNotAllowed(["GET", "HEAD"])
            return self.get_response(request)
        problem = _callback_problem(request, _dash_callbacks_by_app()[name])
        if problem:
            return bad_request(problem)
        modified = request.session.modified
        had_state = DPD_SESSION_KEY in request.session
        response = self.get_response(request)
        # django-plotly-dash stores its (for our apps always empty) state in the session on
        # every callback, which would write a session row for every anonymous visitor.
        if not had_state and request.session.get(DPD_SESSION_KEY) == {}:
            del request.session[DPD_SESSION_KEY]
            request.session.modified = modified
        return response


DPD_SESSION_KEY = "django_plotly_dash"

# Our real callback bodies are under 2 KB (the map's 16 outputs and a query string); 16 KB
# leaves room for the longest address a page takes (2,000 characters) and refuses a probe's
# megabytes before they are parsed, or echoed back in the answer.
MAX_CALLBACK_BODY_BYTES = 16 * 1024
# A real body nests 4 deep (body, state, its item, the shown place's list); past 6 it is a
# probe, and thousands of "[" would otherwise exhaust the parser's recursion.
MAX_CALLBACK_DEPTH = 6
MAX_ADDRESS_CHARS = 2_000  # dcc.Location's pathname and search
MAX_PLACE_CHARS = 40  # a level or area code in the map's shown place

Pair = tuple[str, str]  # (component id, property)


@dataclass(frozen=True)
class DeclaredCallback:
    """One callback as its app declares it, each part as the browser sends it."""

    inputs: tuple[Pair, ...]
    state: tuple[Pair, ...]
    outputs: list[dict] | dict  # the single dict form for a callback with a single Output


@lru_cache(maxsize=1)
def _dash_callbacks_by_app() -> dict[str, dict[str, DeclaredCallback]]:
    """Each registered DjangoDash app's callbacks, by output key (as the browser names them)."""
    from django_plotly_dash.dash_wrapper import usable_apps

    return {
        name: {key: _declared(spec) for key, spec in app.as_dash_instance().callback_map.items()}
        for name, app in usable_apps.items()
    }


def _declared(spec: dict) -> DeclaredCallback:
    def pairs(items: list[dict]) -> tuple[Pair, ...]:
        return tuple((item["id"], item["property"]) for item in items)

    def output(dependency) -> dict:
        return {"id": dependency.component_id, "property": dependency.component_property}

    declared = spec["output"]
    outputs = [output(o) for o in declared] if isinstance(declared, list) else output(declared)
    return DeclaredCallback(pairs(spec["inputs"]), pairs(spec["state"]), outputs)


# The values each callback input and state may hold, by (id, property): "" when acceptable,
# else what is wrong. Every declared input and state needs an entry (a test checks).
ValueCheck = Callable[[object], str]


def _address_part(value: object) -> str:
    """dcc.Location's pathname or search: what the browser's address bar holds."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_ADDRESS_CHARS:
        return f"must be text of at most {MAX_ADDRESS_CHARS:,} characters, or null"
    return "contains a NUL character" if NUL in value else ""


def _shown_place(value: object) -> str:
    """The map's dcc.Store of the place it shows, [level, area] (dashboards.map_explorer)."""
    if value is None:
        return ""
    ok = isinstance(value, list) and len(value) <= 2 and all(_place_part(v) for v in value)
    return "" if ok else f"must be null or [level, area] of at most {MAX_PLACE_CHARS} characters"


def _place_part(value: object) -> bool:
    if value is None:
        return True
    return isinstance(value, str) and len(value) <= MAX_PLACE_CHARS and NUL not in value


CALLBACK_VALUE_TYPES: dict[Pair, ValueCheck] = {
    ("url", "pathname"): _address_part,
    ("url", "search"): _address_part,
    ("shown-place", "data"): _shown_place,
}


def _callback_problem(request, callbacks: dict[str, DeclaredCallback]) -> str:
    """What is wrong with a callback request for one of these callbacks, or ""."""
    if request.method != "POST":
        return "Callbacks are POST requests."
    if _body_size(request) > MAX_CALLBACK_BODY_BYTES:
        return f"The request body is too large (at most {MAX_CALLBACK_BODY_BYTES:,} bytes)."
    try:
        body = json.loads(request.body)
    except RecursionError:
        return "The request body is nested too deep."
    except ValueError:
        return "The request body is not JSON."
    if _depth(body) > MAX_CALLBACK_DEPTH:
        return "The request body is nested too deep."
    if not isinstance(body, dict):
        return "The request body must be a JSON object."
    output = body.get("output")
    if not isinstance(output, str) or output not in callbacks:
        return "The request does not name a callback of this app."
    return _body_problem(body, callbacks[output])


def _body_size(request) -> int:
    """The body's length, from its header before it is read (a bad header is too large)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return MAX_CALLBACK_BODY_BYTES + 1
    if declared > MAX_CALLBACK_BODY_BYTES:
        return declared
    return len(request.body)


def _depth(value: object, limit: int = MAX_CALLBACK_DEPTH) -> int:
    """How deep lists and objects nest, counted only to just past the limit."""
    if not isinstance(value, dict | list):
        return 0
    if limit < 0:
        return 1
    children = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


def _body_problem(body: dict, callback: DeclaredCallback) -> str:
    if body.get("outputs") != callback.outputs:
        return "outputs must be the callback's declared outputs, in order."
    # The browser leaves state out when the callback declares none.
    inputs, state = body.get("inputs"), body.get("state", [])
    if not _matches(inputs, callback.inputs):
        return f"inputs must be the callback's {_listed(callback.inputs, 'input')}."
    if not _matches(state, callback.state):
        if not callback.state:
            return "state must be absent or empty: the callback declares none."
        return f"state must be the callback's {_listed(callback.state, 'state item')}."
    if not _names_inputs(body.get("changedPropIds"), callback):
        return _changed_problem("changedPropIds", callback)
    # Dash 3's renderer also sends this one (the library does not read it).
    if not _names_inputs(body.get("parsedChangedPropsIds", []), callback):
        return _changed_problem("parsedChangedPropsIds", callback)
    return _value_problem(inputs + state)


def _matches(items: object, declared: tuple[Pair, ...]) -> bool:
    """A list of {id, property, value} items for exactly the declared ones, in order (the
    browser leaves out a value that is not set: Dash reads that as null)."""
    if not isinstance(items, list) or len(items) != len(declared):
        return False
    return all(
        isinstance(item, dict) and (item.get("id"), item.get("property")) == pair
        for item, pair in zip(items, declared, strict=True)
    )


def _listed(pairs: tuple[Pair, ...], noun: str) -> str:
    return f"{len(pairs)} {noun}{'s' if len(pairs) != 1 else ''}: {_names(pairs)}"


def _names(pairs: tuple[Pair, ...]) -> str:
    return ", ".join(f"{id_}.{prop}" for id_, prop in pairs)


def _names_inputs(names: object, callback: DeclaredCallback) -> bool:
    """A list of "id.property" strings, each one of the callback's inputs (once)."""
    declared = {f"{id_}.{prop}" for id_, prop in callback.inputs}
    if not isinstance(names, list):
        return False
    named = all(isinstance(name, str) and name in declared for name in names)
    return named and len(set(names)) == len(names)


def _changed_problem(key: str, callback: DeclaredCallback) -> str:
    return f"{key} must name some of the callback's inputs: {_names(callback.inputs)}."


def _value_problem(items: list[dict]) -> str:
    for item in items:
        pair = (item["id"], item["property"])
        check = CALLBACK_VALUE_TYPES.get(pair)
        problem = check(item.get("value")) if check else "has no accepted values declared"
        if problem:
            return f"{pair[0]}.{pair[1]} {problem}."
    return ""
