"""PNG and SVG downloads of the dashboards' charts and maps (ADR 0017): the page's own path
and query string plus `<chart>.<png|svg>`, so a shared link gives the same picture. Public
like the pages they come from; what a chart may show is the page's rule (the view functions
check releases against the user)."""

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from aggregation.selectors import NotFound
from dashboards import chart_images
from dashboards.chart_images import ChartImage
from dashboards.rendering import CONTENT_TYPES, IMAGE_FORMATS, ImagesUnavailable, figure_image


def _image_response(fmt: str, build: Callable[[], ChartImage]) -> HttpResponse:
    if fmt not in IMAGE_FORMATS:
        raise Http404(f"Images come as {' or '.join(IMAGE_FORMATS)}, not {fmt!r}.")
    try:
        image = build()
        content = figure_image(image.framed(), fmt)
    except NotFound as error:
        raise Http404(str(error)) from error
    except ImagesUnavailable as error:
        return HttpResponse(str(error), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{image.name}.{fmt}"'
    return response


def _search(request: HttpRequest) -> str:
    query = request.META.get("QUERY_STRING", "")
    return f"?{query}" if query else ""


@require_GET
def map_image(request: HttpRequest, fmt: str) -> HttpResponse:
    return _image_response(fmt, lambda: chart_images.map_image(_search(request), request.user))


@require_GET
def funnel_image(request: HttpRequest, measure: str, chart: str, fmt: str) -> HttpResponse:
    return _image_response(fmt, lambda: chart_images.funnel_image(measure, chart, _search(request)))


@require_GET
def unit_image(request: HttpRequest, code: str, chart: str, fmt: str) -> HttpResponse:
    return _image_response(
        fmt, lambda: chart_images.unit_image(request.user, code, chart, _search(request))
    )
