import hashlib
from functools import lru_cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from aggregation.selectors import funnel_measures
from boundaries.selectors import UNITS, web_layers
from constants.kpis import MEASURES
from dashboards import funnel_explorer
from dashboards.map_data import release_choices
from dashboards.map_state import COLOURINGS, MAP_LEVELS, MapState, parse_state
from npda.data_model.models import PaediatricDiabetesUnit

DEFAULT_FUNNEL_MEASURE = "32.1"  # the health-check completion rate: a formal outlier measure


ASSETS = ("dashboards/state.js", "dashboards/map.js", "dashboards/first_paint.js",
          "dashboards/map.css", "dashboards/area.css", "dashboards/unit.css",
          "npda/front.css")  # fmt: skip


@lru_cache(maxsize=1)
def asset_version() -> str:
    """Changes with the pages' scripts and styles, so browsers fetch new ones at once."""
    digest = hashlib.sha256()
    for name in ASSETS:
        digest.update(Path(finders.find(name)).read_bytes())
    return digest.hexdigest()[:12]


def _geometry_urls(state: MapState) -> list[str]:
    """The layers the first view draws, fetched by the browser alongside the scripts rather
    than after the first callback (their URLs are immutable, so the cache keeps them)."""
    layers = web_layers()
    level = state.level if state.level in layers and state.level != "pdu" else "country"
    return [layers[name].url for name in dict.fromkeys((level, "country", UNITS)) if name in layers]


def maps(request: HttpRequest) -> HttpResponse:
    """The map explorer: the controls (a plain GET form) around the embedded Dash app, which
    reads the same query string."""
    choices = release_choices(request.user)
    state, _ = parse_state(request.GET.urlencode(), choices)
    groups: dict[str, list] = {}
    for measure in MEASURES:
        groups.setdefault(measure.group.value, []).append(measure)
    return render(
        request,
        "pages/maps.html",
        {
            "state": state,
            "default": MapState(),
            "levels": MAP_LEVELS.items(),
            "colourings": COLOURINGS.items(),
            "measure_groups": groups.items(),
            "releases": choices,
            "asset_version": asset_version(),
            "preload": _geometry_urls(state),
        },
    )


def benchmarking_index(request: HttpRequest) -> HttpResponse:
    """`/benchmarking/?measure=44&...` (the controls without JavaScript): to the measure's page."""
    query = request.GET.copy()
    measure = query.pop("measure", [DEFAULT_FUNNEL_MEASURE])[-1]
    if measure not in {m.number for m in funnel_measures()}:
        raise Http404(f"There is no funnel plot for the measure {measure!r}.")
    target = reverse("benchmarking", args=[measure])
    return redirect(target + (f"?{query.urlencode()}" if query else ""))


def benchmarking(request: HttpRequest, measure: str) -> HttpResponse:
    """Funnel and caterpillar plots of every unit for one measure: the controls around the
    embedded Dash app, which reads the same path and query string."""
    funnels = funnel_measures()
    if measure not in {m.number for m in funnels}:
        raise Http404(f"There is no funnel plot for the measure {measure!r}.")
    state, _ = funnel_explorer.parse(request.path, request.GET.urlencode())
    groups: dict[str, list] = {}
    for info in funnels:
        groups.setdefault(info.group, []).append(info)
    return render(
        request,
        "pages/benchmarking.html",
        {
            "state": state,
            "measure_groups": groups.items(),
            "releases": funnel_explorer.final_releases(),
            "units": PaediatricDiabetesUnit.objects.order_by("name").values_list("pz_code", "name"),
            "limits": funnel_explorer.LIMITS.items(),
            "asset_version": asset_version(),
            "navigate": reverse("benchmarking", args=["0"]).replace("/0/", "/{value}/"),
        },
    )
