"""The open data API (/api/v1/): published, disclosure-controlled release rows only, read
through `aggregation.selectors`, for anyone (no login). See docs/adr/0008-open-data-api.md.

Every response carries an ETag and Cache-Control; a request whose If-None-Match matches gets
304 before any work. Bad input gets 400 with a JSON body naming the parameter and what it
accepts; never a 500.
"""

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError, ValidationError

from aggregation import selectors
from aggregation.selectors import NotFound, ReleaseSummary
from constants import disclosure as sdc
from constants.breakdowns import BREAKDOWNS
from constants.codes import dataset_year_for
from constants.kpis import DATASET_CHANGES, DatasetChange, dataset_change
from dashboards import open_data
from npda.pages import published_files
from npda.pages.published_files import PublishedFile

API_VERSION = "1"
CACHE_CONTROL = "public, max-age=300"  # results change only when a release is made
KEEP_SECONDS = 24 * 3600  # rendered answers of one level and measure, in the server's cache
JSON = "application/json"
CSV = "text/csv; charset=utf-8"

DESCRIPTION = f"""
Published results of the National Paediatric Diabetes Audit (England and Wales): every measure
for every unit, trust, health board, ICB, NHS England region, country, network and England and
Wales, from releases (frozen snapshots of an audit year, provisional at quarter ends or final).

* Only published releases are served, after statistical disclosure control: {sdc.footnote("SDC-1")}
* `release` is a release id or `latest` (the latest final release); a superseded release stays
  readable by its id.
* `/aggregates` returns JSON, or tidy CSV (UTF-8 with BOM) with `format=csv`; leave out `level`
  or `measure` for everything (streamed).
* Levels: `pdu`, `trust`, `lhb`, `icb`, `region`, `country`, `national`, `network`, `openuk`.

Source: RCPCH National Paediatric Diabetes Audit. Boundaries and organisation codes: Office for
National Statistics and NHS (Open Government Licence v3.0).
"""

api = NinjaAPI(
    title="NPDA open data API",
    version=API_VERSION,
    description=DESCRIPTION,
    urls_namespace="api",
    docs_url=None,  # our own page, npda.api.docs: accessible, no script
    openapi_url="/openapi.json",
)


# Errors ----------------------------------------------------------------------------------------


class BadParameter(Exception):
    def __init__(self, parameter: str, message: str, accepted: list[str] | None = None):
        self.parameter, self.message, self.accepted = parameter, message, accepted or []


class ErrorOut(Schema):
    error: str
    parameter: str
    message: str
    accepted: list[str]


def _error(parameter: str, message: str, accepted: list[str], status: int = 400) -> HttpResponse:
    body = json.dumps(
        {"error": "bad request", "parameter": parameter, "message": message, "accepted": accepted}
    )
    response = HttpResponse(body, status=status, content_type=JSON)
    return _with_cache_headers(response, _digest(body))


@api.exception_handler(BadParameter)
def _bad_parameter(request, error: BadParameter):
    return _error(error.parameter, error.message, error.accepted)


@api.exception_handler(NotFound)
def _not_found(request, error: NotFound):
    return _error(error.parameter, str(error), [str(a) for a in error.accepted])


@api.exception_handler(ValidationError)
def _invalid(request, error: ValidationError):
    """Ninja's own validation (a path id that is not a number...), as 400 naming the field."""
    first = error.errors[0] if error.errors else {}
    location = [str(part) for part in first.get("loc", []) if part not in ("path", "query")]
    return _error(location[-1] if location else "request", first.get("msg", "invalid"), [])


@api.exception_handler(HttpError)
def _http_error(request, error: HttpError):
    return _error("request", str(error), [], status=error.status_code)


# Parameters ------------------------------------------------------------------------------------


def _text(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    if len(value) > 40:
        raise BadParameter(name, f"{name} is too long")
    return value.strip()


def _only(request: HttpRequest, allowed: tuple[str, ...]) -> None:
    """Unknown or repeated query parameters are mistakes worth telling the caller about."""
    for name in request.GET:
        if name not in allowed:
            raise BadParameter(name, f"Unknown parameter {name[:40]!r}", list(allowed))
        if len(request.GET.getlist(name)) > 1:
            raise BadParameter(name, f"Give {name} once", list(allowed))


def _release(spec: str | None) -> ReleaseSummary:
    return selectors.resolve_release(_text(spec, "release") or selectors.LATEST)


# Caching ---------------------------------------------------------------------------------------


def _digest(*parts) -> str:
    return '"' + hashlib.sha256(repr((API_VERSION, *parts)).encode()).hexdigest()[:32] + '"'


def _with_cache_headers(response, etag: str, cache_control: str = CACHE_CONTROL):
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    return response


def _conditional(
    request: HttpRequest, etag: str, build: Callable[[], HttpResponse], *, keep: bool = False
):
    """304 when the caller already has this version; else the built response, tagged. With
    `keep`, a built (not streamed) response is kept in the cache under its ETag, which names
    exactly what it holds (releases never change but for being superseded, which changes the
    ETag): the next caller gets it without a query."""
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        return _with_cache_headers(HttpResponse(status=304), etag)
    kept = cache.get(f"api:{etag}") if keep else None
    if kept is not None:
        content, headers = kept
        response = HttpResponse(content)
        for name, value in headers.items():
            response[name] = value
        return _with_cache_headers(response, etag)
    response = build()
    if keep and not response.streaming:
        headers = {name: response[name] for name in ("Content-Type", "Content-Disposition")
                   if response.has_header(name)}  # fmt: skip
        cache.set(f"api:{etag}", (response.content, headers), KEEP_SECONDS)
    return _with_cache_headers(response, etag)


def _json(data) -> HttpResponse:
    return HttpResponse(json.dumps(data, default=_json_default), content_type=JSON)


def _json_default(value):
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


# Schemas (the OpenAPI contract) ------------------------------------------------------------------


class MeasureChangeOut(Schema):
    measure: str
    dataset_year: int
    collected: bool
    comparable_with_earlier_years: bool
    note: str
    name: str  # the measure's name from that dataset ("" when unchanged)


class ReleaseOut(Schema):
    id: int
    period: str
    audit_year: int
    dataset_year: int
    measure_changes: list[MeasureChangeOut]
    kind: str
    label: str
    calculation_date: date
    created_at: datetime
    method_version: str
    outlier_policy_version: str
    disclosure_policy: str
    benchmarked: bool
    superseded_by: int | None
    is_current: bool
    notes: str
    rows: int
    suppression_summary: dict[str, dict[str, int]]


class MeasureOut(Schema):
    number: str
    name: str
    group: str
    kind: str
    polarity: str
    population: str
    population_definition: str
    definition: str
    unit: str
    formal_outlier_measure: bool
    breakdowns: list[str]
    dataset_changes: list[MeasureChangeOut]


class CategoryOut(Schema):
    code: str
    label: str


class BreakdownOut(Schema):
    key: str
    label: str
    categories: list[CategoryOut]
    measures: list[str]
    additive: bool


class AreaOut(Schema):
    level: str
    code: str
    name: str
    parent_level: str
    parent_code: str


class AggregateOut(Schema):
    release_id: int
    level: str
    area_code: str
    area_name: str
    parent_level: str
    parent_code: str
    measure: str
    breakdown: str
    category: str
    numerator: int | None
    numerator_suppressed: bool
    denominator: int | None
    denominator_suppressed: bool
    value: float | None
    unit: str
    value_note: str
    suppression_reason: str
    ci95_low: float | None
    ci95_high: float | None
    ci998_low: float | None
    ci998_high: float | None
    comparison: str
    comparison_5: str
    funnel_n: int | None
    funnel_lower_95: float | None
    funnel_upper_95: float | None
    funnel_lower_998: float | None
    funnel_upper_998: float | None
    z_score: float | None
    outlier: str
    outlier_direction: str


class AggregatesOut(Schema):
    release: ReleaseOut
    disclosure_policy: str
    footnote: str
    rows: list[AggregateOut]


def _release_record(release: ReleaseSummary) -> dict:
    return {
        "id": release.id,
        "period": release.period,
        "audit_year": release.audit_year,
        "dataset_year": dataset_year_for(release.audit_year),
        "measure_changes": [
            _change_record(number, change)
            for number in DATASET_CHANGES
            if (change := dataset_change(number, dataset_year_for(release.audit_year)))
        ],
        "kind": release.kind,
        "label": release.label,
        "calculation_date": release.calculation_date,
        "created_at": release.created_at,
        "method_version": release.method_version,
        "outlier_policy_version": release.outlier_policy_version,
        "disclosure_policy": release.disclosure_policy,
        "benchmarked": release.benchmarked,
        "superseded_by": release.superseded_by,
        "is_current": release.is_current,
        "notes": release.notes,
        "rows": release.rows,
        "suppression_summary": release.suppression_summary,
    }


def _change_record(number: str, change: DatasetChange) -> dict:
    return {"measure": number, **change.__dict__}


# Endpoints ---------------------------------------------------------------------------------------

LIST_ERRORS = {400: ErrorOut}


@api.get(
    "/releases",
    response={200: list[ReleaseOut], **LIST_ERRORS},
    tags=["releases"],
    summary="Every release, newest first",
)
def releases(request: HttpRequest):
    """Every release, newest first; superseded releases stay listed and readable."""
    _only(request, ())
    found = selectors.releases()
    etag = _digest("releases", tuple((r.id, r.superseded_by) for r in found))
    return _conditional(request, etag, lambda: _json([_release_record(r) for r in found]))


@api.get(
    "/releases/{release_id}",
    response={200: ReleaseOut, **LIST_ERRORS},
    tags=["releases"],
    summary="One release by id, or the latest final release",
)
def release(request: HttpRequest, release_id: str):
    """One release by id (or `latest`)."""
    _only(request, ())
    found = _release(release_id)
    etag = _digest("release", found.id, found.superseded_by)
    return _conditional(request, etag, lambda: _json(_release_record(found)))


@api.get(
    "/measures",
    response={200: list[MeasureOut], **LIST_ERRORS},
    tags=["reference"],
    summary="Every measure with its definition",
)
def measures(request: HttpRequest):
    """Every measure: number, name, definition, type, polarity, population and the unit of its
    value."""
    _only(request, ())
    found = selectors.measures()
    body = [
        {
            **info.__dict__,
            "breakdowns": list(info.breakdowns),
            "dataset_changes": [_change_record(info.number, DATASET_CHANGES[info.number])]
            if info.number in DATASET_CHANGES
            else [],
        }
        for info in found
    ]
    return _conditional(request, _digest("measures", repr(body)), lambda: _json(body))


@api.get(
    "/breakdowns",
    response={200: list[BreakdownOut], **LIST_ERRORS},
    tags=["reference"],
    summary="The breakdowns and their categories",
)
def breakdowns(request: HttpRequest):
    """The breakdowns a release publishes rows for, their categories and measures."""
    _only(request, ())
    body = [
        {
            "key": b.key,
            "label": b.label,
            "categories": [{"code": code, "label": label} for code, label in b.categories],
            "measures": list(b.measures),
            "additive": b.additive,
        }
        for b in BREAKDOWNS
    ]
    return _conditional(request, _digest("breakdowns", repr(body)), lambda: _json(body))


@api.get(
    "/areas",
    response={200: list[AreaOut], **LIST_ERRORS},
    tags=["reference"],
    summary="The areas of a level and their parents",
)
def areas(request: HttpRequest, level: str | None = None, release: str | None = None):
    """The areas of a level (every level when left out) with their parents, as the geography
    stood in a release (default: the latest final release; today's when there is none)."""
    _only(request, ("level", "release"))
    level = _text(level, "level")
    if level is not None:
        selectors.check_level(level)
    chosen = _release(release) if release is not None else selectors.latest_final_release()
    release_id = chosen.id if chosen else None
    etag = _digest("areas", level, release_id)

    def build():
        found = selectors.areas(level, release_id)
        return _json([a.__dict__ for a in found])

    return _conditional(request, etag, build)


@api.get(
    "/aggregates",
    response={200: AggregatesOut, **LIST_ERRORS},
    tags=["results"],
    summary="Published results: areas of a level for a measure, or everything",
    openapi_extra={"responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}},
)
def aggregates(
    request: HttpRequest,
    level: str | None = None,
    measure: str | None = None,
    release: str | None = None,
    breakdown: str | None = None,
    parent: str | None = None,
    format: str = "json",
):
    """Published results of one release: every area of a level for one measure (or, leaving
    out level or measure, everything, streamed). `breakdown` picks a breakdown's rows (see
    /breakdowns; `all` for every row, default the totals); `parent` (with level and measure)
    only the areas within an area, e.g. the ICBs of a region. `format=csv` gives tidy CSV."""
    _only(request, ("level", "measure", "release", "breakdown", "parent", "format"))
    level, measure = _text(level, "level"), _text(measure, "measure")
    breakdown, format = _text(breakdown, "breakdown"), (_text(format, "format") or "json")
    if level is not None:
        selectors.check_level(level)
    if measure is not None:
        selectors.check_measure(measure)
    if breakdown not in (None, "all"):
        selectors.check_breakdown(breakdown)
    if format not in ("json", "csv"):
        raise BadParameter("format", "format must be json or csv", ["json", "csv"])
    chosen = _release(release)
    selected = None if breakdown == "all" else (breakdown or "")
    small = level is not None and measure is not None
    parent = _text(parent, "parent")
    if parent is not None:
        if not small:
            raise BadParameter("parent", "parent needs a level and a measure", [])
        selectors.areas_within(parent, chosen.id)  # 400 for an unknown area
    name = f"npda-release-{chosen.id}-{level or 'all'}-{measure or 'all'}"
    name += f"-in-{parent}" if parent else ""
    if not small:  # a whole level, measure or release: drawn once, kept on disk
        return _release_dump(request, chosen, level, measure, selected, format, name)
    etag = _digest(
        "aggregates", chosen.id, chosen.superseded_by, level, measure, selected, parent, format
    )

    def build():  # one level and measure: a plain query, one document
        rows = selectors.area_results(chosen.id, level, measure, breakdown=selected, parent=parent)
        if format == "json":
            return _json(_aggregates_head(chosen) | {"rows": [open_data.record(r) for r in rows]})
        response = HttpResponse("".join(open_data.csv_chunks(rows, chosen)), content_type=CSV)
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response

    return _conditional(request, etag, build, keep=True)


def _release_dump(request, release: ReleaseSummary, level, measure, breakdown, format, name):
    """Many rows of a release (17 MB of CSV, 67 MB of JSON for all of it): written once per
    release version (a superseded release's head says so) and served from disk after."""
    file = PublishedFile(
        f"{name}.{format}", CSV if format == "csv" else JSON,
        ("api-aggregates", API_VERSION, release.id, release.created_at.isoformat(),
         release.superseded_by, level, measure, breakdown, format),
        immutable=False, attachment=format == "csv", streamed=True,
    )  # fmt: skip

    def write() -> bytes:
        rows = selectors.release_results(release.id, level=level, measure=measure,
                                         breakdown=breakdown)  # fmt: skip
        chunks = open_data.csv_chunks(rows, release) if format == "csv" else (
            _json_chunks(release, rows))  # fmt: skip
        return "".join(chunks).encode("utf-8")

    return published_files.serve(request, file, write)


def _aggregates_head(release: ReleaseSummary) -> dict:
    return {
        "release": _release_record(release),
        "disclosure_policy": release.disclosure_policy,
        "footnote": sdc.footnote(release.disclosure_policy),
    }


def _json_chunks(release: ReleaseSummary, rows) -> Iterator[str]:
    """The same document as a small answer, a few thousand rows at a time."""
    yield json.dumps(_aggregates_head(release), default=_json_default)[:-1] + ', "rows": ['
    batch, first = [], True
    for row in rows:
        batch.append(json.dumps(open_data.record(row)))
        if len(batch) == 2000:
            yield ("" if first else ",") + ",".join(batch)
            batch, first = [], False
    if batch:
        yield ("" if first else ",") + ",".join(batch)
    yield "]}"
