from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from npda.models import BoundaryLayer

CACHE_SECONDS = 7 * 24 * 3600


@require_GET
def boundary_layer_geojson(request: HttpRequest, level: str) -> HttpResponse:
    """The cached web GeoJSON of one boundary level (public: boundaries hold no patient data)."""
    etag = BoundaryLayer.objects.filter(level=level).values_list("fingerprint", flat=True).first()
    if etag is None:
        raise Http404(f"No boundary layer {level!r}")
    quoted = f'"{etag}"'
    if request.headers.get("If-None-Match") == quoted:
        response = HttpResponse(status=304)
    else:
        wants_gzip = "gzip" in request.headers.get("Accept-Encoding", "")
        column = "geojson_gzip" if wants_gzip else "geojson"
        body = BoundaryLayer.objects.values_list(column, flat=True).get(level=level)
        response = HttpResponse(
            bytes(body) if wants_gzip else body, content_type="application/geo+json"
        )
        if wants_gzip:
            response["Content-Encoding"] = "gzip"
    response["ETag"] = quoted
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response
