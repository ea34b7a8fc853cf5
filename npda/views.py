import hashlib
from functools import lru_cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from boundaries.selectors import UNITS, web_layers
from constants.kpis import MEASURES
from constants.levels import OGL_ATTRIBUTION, RCPCH_ATTRIBUTION
from dashboards.map_data import release_choices
from dashboards.map_state import COLOURINGS, MAP_LEVELS, MapState, parse_state
from npda import selectors


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "npda/home.html",
        {
            "levels": selectors.reference_level_counts(),
            "layers": selectors.boundary_layers(),
            "last_load": selectors.latest_reference_load(),
            "ogl_attribution": OGL_ATTRIBUTION,
            "rcpch_attribution": RCPCH_ATTRIBUTION,
        },
    )


@lru_cache(maxsize=1)
def _asset_version() -> str:
    """Changes with the map page's script and styles, so browsers fetch new ones at once."""
    digest = hashlib.sha256()
    for name in ("dashboards/state.js", "dashboards/map.js", "dashboards/map.css"):
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
        "npda/maps.html",
        {
            "state": state,
            "default": MapState(),
            "levels": MAP_LEVELS.items(),
            "colourings": COLOURINGS.items(),
            "measure_groups": groups.items(),
            "releases": choices,
            "asset_version": _asset_version(),
            "preload": _geometry_urls(state),
        },
    )
