"""PNG and SVG downloads of the dashboards' charts and maps (ADR 0017): the page's own path
and query string plus `<chart>.<png|svg>`, so a shared link gives the same picture. Public
like the pages they come from; what a chart may show is the page's rule (the view functions
check releases against the user). Each image is drawn once and kept (npda.pages.published_files,
ADR 0019): what it is, and so whether it is kept, is known before anything is drawn."""

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from aggregation.selectors import NotFound
from dashboards import chart_images
from dashboards.chart_images import ChartImage, ImageFile
from dashboards.rendering import CONTENT_TYPES, IMAGE_FORMATS, ImagesUnavailable, figure_image
from npda.pages import published_files
from npda.pages.published_files import PublishedFile


def _image_response(
    request: HttpRequest,
    fmt: str,
    describe: Callable[[], ImageFile],
    build: Callable[[], ChartImage],
) -> HttpResponse:
    if fmt not in IMAGE_FORMATS:
        raise Http404(f"Images come as {' or '.join(IMAGE_FORMATS)}, not {fmt!r}.")
    try:
        image = describe()
        file = PublishedFile(f"{image.name}.{fmt}", CONTENT_TYPES[fmt], (fmt, *image.key),
                             immutable=image.pinned)  # fmt: skip
        return published_files.serve(request, file, lambda: figure_image(build().framed(), fmt))
    except NotFound as error:
        raise Http404(str(error)) from error
    except ImagesUnavailable as error:
        return HttpResponse(str(error), status=503, content_type="text/plain; charset=utf-8")


def _search(request: HttpRequest) -> str:
    query = request.META.get("QUERY_STRING", "")
    return f"?{query}" if query else ""


@require_GET
def map_image(request: HttpRequest, fmt: str) -> HttpResponse:
    search = _search(request)
    return _image_response(
        request, fmt,
        lambda: chart_images.map_image_file(search, request.user),
        lambda: chart_images.map_image(search, request.user),
    )  # fmt: skip


@require_GET
def funnel_image(request: HttpRequest, measure: str, chart: str, fmt: str) -> HttpResponse:
    search = _search(request)
    return _image_response(
        request, fmt,
        lambda: chart_images.funnel_image_file(measure, chart, search),
        lambda: chart_images.funnel_image(measure, chart, search),
    )  # fmt: skip


@require_GET
def unit_image(request: HttpRequest, code: str, chart: str, fmt: str) -> HttpResponse:
    search = _search(request)
    return _image_response(
        request, fmt,
        lambda: chart_images.unit_image_file(request.user, code, chart, search),
        lambda: chart_images.unit_image(request.user, code, chart, search),
    )  # fmt: skip
