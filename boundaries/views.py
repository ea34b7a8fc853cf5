from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from boundaries import selectors

CACHE_SECONDS = 7 * 24 * 3600
IMMUTABLE = "public, max-age=31536000, immutable"


@require_GET
def boundary_layer_geojson(request: HttpRequest, level: str) -> HttpResponse:
    """The current web GeoJSON of one level (public: boundaries hold no patient data)."""
    return _layer_response(request, level, None)


@require_GET
def boundary_layer_version(request: HttpRequest, level: str, version: str) -> HttpResponse:
    """One version of a layer, at a URL that never changes meaning: cached for a year."""
    return _layer_response(request, level, version)


def _layer_response(request: HttpRequest, level: str, version: str | None) -> HttpResponse:
    layer = selectors.layer_file(level)
    if layer is None or (version is not None and version != layer.version):
        raise Http404(f"No boundary layer {level!r}" + (f" version {version}" if version else ""))
    quoted = f'"{layer.version}"'
    if request.headers.get("If-None-Match") == quoted:
        response = HttpResponse(status=304)
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(layer.gzip, content_type="application/geo+json")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(layer.text, content_type="application/geo+json")
    response["ETag"] = quoted
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = IMMUTABLE if version else f"public, max-age={CACHE_SECONDS}"
    return response
