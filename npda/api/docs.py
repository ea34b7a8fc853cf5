"""The open data API's documentation page (`/api/v1/docs`): our own HTML page made from the
API's OpenAPI schema, in place of the API library's Swagger UI, whose nested buttons, colours
and missing language failed the accessibility checks (issue 25). Every endpoint with its
parameters, what each accepts, and example requests that open in the browser; no script."""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from aggregation.selectors import LEVEL_CODES
from constants import disclosure as sdc
from constants.breakdowns import BREAKDOWNS

PARAMETER_WORDS = {
    "release_id": "A release id, or latest (the latest final release).",
    "release": "A release id, or latest (the default: the latest final release). Superseded "
    "releases stay readable by their id.",
    "level": "The level of the areas: " + ", ".join(LEVEL_CODES) + ". Leave it out for every "
    "level.",
    "measure": "A measure number, for example 44 (mean HbA1c) or 32.1 (see /api/v1/measures). "
    "Leave it out for every measure.",
    "breakdown": "A breakdown of the measure, for example sex or age_12; all for every "
    "breakdown's rows. Leave it out for the totals only. Breakdowns: "
    + ", ".join(b.key for b in BREAKDOWNS)
    + ".",
    "parent": "An area code (with a level and measure): only the areas within it, for example "
    "the units of an ICB.",
    "format": "json (the default) or csv (tidy, UTF-8 with BOM, * for withheld, – for not "
    "applicable).",
}
EXAMPLES = {
    "/api/v1/releases": ["/api/v1/releases"],
    "/api/v1/releases/{release_id}": ["/api/v1/releases/latest"],
    "/api/v1/measures": ["/api/v1/measures"],
    "/api/v1/breakdowns": ["/api/v1/breakdowns"],
    "/api/v1/areas": ["/api/v1/areas?level=icb", "/api/v1/areas?level=region"],
    "/api/v1/aggregates": [
        "/api/v1/aggregates?level=icb&measure=44&release=latest",
        "/api/v1/aggregates?level=pdu&measure=32.1&format=csv",
        "/api/v1/aggregates?level=region&measure=44&breakdown=sex",
    ],
}


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str  # path or query
    required: bool
    accepts: str


@dataclass(frozen=True)
class Endpoint:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    parameters: list[Parameter]
    examples: list[str]


def _parameter(spec: dict) -> Parameter:
    name = spec["name"]
    return Parameter(name, spec["in"], bool(spec.get("required")), PARAMETER_WORDS.get(name, ""))


def endpoints(schema: dict) -> list[Endpoint]:
    """Each path and method of an OpenAPI schema, in its order, with words for each parameter."""
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            found.append(
                Endpoint(
                    anchor=path.strip("/").replace("/", "-").replace("{", "").replace("}", ""),
                    method=method.upper(),
                    path=path,
                    summary=operation.get("summary", ""),
                    description=operation.get("description", ""),
                    parameters=[_parameter(p) for p in operation.get("parameters", [])],
                    examples=EXAMPLES.get(path, []),
                )
            )
    return found


@require_safe
def docs(request: HttpRequest) -> HttpResponse:
    from npda.api.views import api  # the API's own schema: one description of it

    schema = api.get_openapi_schema()
    return render(
        request,
        "pages/api_docs.html",
        {
            "title": schema["info"]["title"],
            "version": schema["info"]["version"],
            "endpoints": endpoints(schema),
            "levels": LEVEL_CODES,
            "footnote": sdc.footnote(sdc.CURRENT_POLICY.label),
        },
    )
