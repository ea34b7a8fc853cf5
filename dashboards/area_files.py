"""Every report file of an area from one published release, by format (issue 12): the open
data CSV, the workbook, the PDF report, and the area's map as PNG or SVG. The downloads on the
area page and `export_report` both come here, so the site and the batch write the same bytes."""

from django.contrib.auth.models import AnonymousUser

from aggregation import selectors
from aggregation.selectors import NotFound, ReleaseSummary
from npda.spreadsheets import XLSX

from . import area_data, area_report, chart_images, exports, rendering
from .exports import AreaExport
from .map_state import DEFAULT_MEASURE

FORMATS = ("csv", "xlsx", "pdf", "png", "svg")
BY_MEASURE = ("pdf", "png", "svg")  # files that show one chosen measure (the page's)
SPANS_RELEASES = ("pdf",)  # its trend reads every current release
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX, "pdf": "application/pdf",
                 **rendering.CONTENT_TYPES}  # fmt: skip


def file_key(fmt: str, level: str, code: str, release: ReleaseSummary, measure: str) -> tuple:
    """Everything a file's bytes depend on (ADR 0019): the area, the release (id and creation
    time), the measure where the file shows one, and every current release where its trend
    reads them (a new release draws it again)."""
    key = ("area", fmt, level, code, release.id, release.created_at.isoformat())
    if fmt in BY_MEASURE:
        key += (measure,)
    if fmt in SPANS_RELEASES:
        key += tuple(
            (r.id, r.created_at.isoformat()) for r in selectors.releases(current_only=True)
        )
    return key


def map_image(export: AreaExport, measure: str = DEFAULT_MEASURE) -> chart_images.ChartImage:
    """The map explorer's map of the area as anyone may see it (a unit: of its ICB or health
    board); NotFound where there is none, as for provisional releases."""
    area = area_data.mapped_area(export.area)
    if area is None:
        raise NotFound("area", export.area.code, [],
                       f"Unit {export.area.code} has no ICB or health board to map.")  # fmt: skip
    return chart_images.area_map_image(
        area.level, area.code, str(export.release.id), measure, AnonymousUser()
    )


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise NotFound("format", fmt, list(FORMATS),
                       f"Unknown format {fmt!r}: choose one of {', '.join(FORMATS)}.")  # fmt: skip


def render(export: AreaExport, fmt: str, measure: str = DEFAULT_MEASURE) -> tuple[bytes, str]:
    """The file's bytes and content type; the PDF's map, units and trend and the map images
    show `measure`. NotFound for an unknown format; ImagesUnavailable when the PDF or an image
    cannot be drawn (no Chromium)."""
    check_format(fmt)
    if fmt == "csv":
        content = exports.export_csv(export)
    elif fmt == "xlsx":
        content = exports.export_xlsx(export)
    elif fmt == "pdf":
        content = area_report.report_pdf(export, measure=measure)
    else:
        content = rendering.figure_image(map_image(export, measure).framed(), fmt)
    return content, CONTENT_TYPES[fmt]
