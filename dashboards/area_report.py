"""An area's A4 PDF report from one published release (issue 12, ADR 0017): headline measures
with CIs and comparisons, the area's map, its units ranked, a trend, methods and the
disclosure-control statement, attribution and the date produced. Every measure is in the CSV
and XLSX: laid out here it tripled the time a report takes (0.18 s to 0.6 s in WeasyPrint).

Everything comes from the read API, as the CSV and XLSX do; the map and trend are the
dashboards' figures drawn as SVG by kaleido; WeasyPrint lays out `dashboards/report.html` with the
fonts embedded and nothing fetched.
"""

import base64
from dataclasses import dataclass
from datetime import date

from django.template.loader import render_to_string
from django.utils import timezone

from aggregation import selectors
from aggregation.figures import value_unit
from aggregation.rollup import NATIONAL_CODE
from aggregation.selectors import AreaPage, AreaResult
from constants.disclosure import NOT_APPLICABLE, SUPPRESSED, footnote
from constants.kpis import HEADLINE_MEASURES, MEASURES, MEASURES_BY_NUMBER
from constants.levels import OGL_ATTRIBUTION, RCPCH_ATTRIBUTION, Level

from . import area_data
from . import map_figures as fig
from . import unit_figures as uf
from .exports import SOURCE, AreaExport
from .map_state import DEFAULT_MEASURE, MapState
from .measure_rows import measure_row
from .rendering import figure_image

TREND_SIZE = (720, 300)


@dataclass(frozen=True)
class Picture:
    data_uri: str  # an inline SVG: the report fetches nothing
    description: str  # its text alternative, and what the table beside it says


def _data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _page(export: AreaExport) -> AreaPage | None:
    """The area page's data; for a unit, its ICB's or health board's (the map around it)."""
    area = area_data.mapped_area(export.area)
    return selectors.area_page(export.release.id, area.level, area.code) if area else None


def _map(page: AreaPage | None, results: dict[str, AreaResult], measure) -> Picture | None:
    """The area page's map: the area and its units coloured by comparison."""
    if page is None:
        return None
    svg = area_data.area_map(page, results, measure.name)
    return Picture(_data_uri(svg.encode("utf-8")), f"{page.area.name} and its units")


def _trend(export: AreaExport, measure) -> tuple[Picture, list[uf.TrendRow]]:
    """The chosen measure by audit year beside England and Wales, as the area page draws it."""
    area = selectors.trend(export.area.level, export.area.code, measure.number)
    national = selectors.trend("national", NATIONAL_CODE, measure.number)
    rows = uf.trend_rows(area.years, national.years)
    title = f"{measure.name} by audit year (final releases), {uf.period_text(rows)}"
    figure = uf.trend_figure(rows, title="", unit=value_unit(measure.number),
                             name=export.area.name, measure=measure.number)  # fmt: skip
    figure["layout"].update(width=TREND_SIZE[0], height=TREND_SIZE[1])
    return Picture(_data_uri(figure_image(figure, "svg")), title), rows


def _national(export: AreaExport, page: AreaPage | None) -> dict[str, AreaResult]:
    """England and Wales by measure: the area page has them already."""
    if page is not None:
        return page.national
    rows = selectors.release_results(export.release.id, level="national", breakdown="")
    return {r.measure: r for r in rows}


def report_context(export: AreaExport, produced: date, measure: str = DEFAULT_MEASURE) -> dict:
    """What the report shows: the headline measures, and the map, units and trend of the
    measure chosen on the area's page."""
    chosen = MEASURES_BY_NUMBER[measure]
    page = _page(export)
    national = _national(export, page)
    totals = {r.measure: r for r in export.results if not r.breakdown}  # breakdowns: the CSV
    trend, trend_rows = _trend(export, chosen)
    unit_results = area_data.unit_results(page, chosen.number) if page else {}
    own_units = export.area.level != "pdu"
    release = export.release
    measure = chosen
    polarity = measure.polarity.value
    order = MapState(level="pdu", measure=measure.number, sort=fig.best_first_sort(polarity))
    units = list(unit_results.values())
    return {
        "area": export.area,
        "level_label": Level(export.area.level).label,
        "release": release,
        "headline": [
            measure_row(totals[n], national.get(n), release.audit_year)
            for n in HEADLINE_MEASURES
            if n in totals
        ],
        "measure_count": len(MEASURES),
        "map": _map(page, unit_results, measure),
        "units": fig.ranked(fig.table_rows(units, order)) if own_units else [],
        "rank_heading": fig.RANK_WORDS[polarity][0],
        "rank_order": fig.RANK_WORDS[polarity][1],
        "units_not_shown": fig.not_shown_text(units, "unit") if own_units else "",
        "measure": measure,
        "trend": trend,
        "trend_rows": trend_rows,
        "footnote": footnote(release.disclosure_policy),
        "symbols": f"{SUPPRESSED} withheld to protect confidentiality; {NOT_APPLICABLE} not "
        "applicable (no children in the denominator)",
        "source": SOURCE,
        "attribution": f"{OGL_ATTRIBUTION} {RCPCH_ATTRIBUTION}",
        "produced": produced,
    }


def report_pdf(
    export: AreaExport, produced: date | None = None, measure: str = DEFAULT_MEASURE
) -> bytes:
    """The report as PDF bytes (A4), tagged for PDF/UA (its language and title from the
    template's `lang` and `<title>`), so screen readers can read its structure."""
    from weasyprint import HTML  # imported here: Pango loads on first use, not at start-up

    context = report_context(export, produced or timezone.localdate(), measure)
    html = render_to_string("dashboards/report.html", context)
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def warm() -> None:
    """Pay once per process what the first report would: Pango and the fonts, the templates,
    the shapes and the first SVG (about 2 s), by making England and Wales' report."""
    from .exports import area_export

    release = selectors.latest_final_release()
    if release is not None:
        report_pdf(area_export(release.id, "national", NATIONAL_CODE))
