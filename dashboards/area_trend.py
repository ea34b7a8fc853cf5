"""An area's trend on one measure, as its page shows it: the area beside England and Wales by
audit year (current final releases) and by quarter of the chosen release's year (provisional
releases, the year to date), each with its 95% interval, as one plotly figure and its table.
The same builders as a unit's trend (`unit_figures`), so both read alike."""

from dataclasses import dataclass

from aggregation import selectors
from aggregation.areas import Area
from aggregation.figures import value_unit
from aggregation.rollup import NATIONAL_CODE
from aggregation.selectors import ReleaseSummary, TrendPoint
from constants.kpis import MEASURES_BY_NUMBER, name_for

from . import map_figures as fig
from . import unit_figures as uf


@dataclass(frozen=True)
class AreaTrend:
    title: str
    figure: dict  # plotly JSON
    table: str  # its text alternative (HTML, escaped by its builder)
    quarters_table: str  # the chosen year's quarters ("" when it has no provisional release)
    summary: str  # the trend in words


def _quarters_of(points: list[TrendPoint], year: int) -> list[TrendPoint]:
    return [p for p in points if p.release.audit_year == year]


def area_trend(area: Area, measure: str, release: ReleaseSummary) -> AreaTrend:
    """Final releases by year, and the provisional quarters of the release's own year."""
    unit = value_unit(measure)
    name = fig.plain_name(area.name)
    own = selectors.trend(area.level, area.code, measure)
    national = selectors.trend("national", NATIONAL_CODE, measure)
    years = uf.trend_rows(own.years, national.years)
    quarters = uf.trend_rows(_quarters_of(own.quarters, release.audit_year), national.quarters)
    title = f"{MEASURES_BY_NUMBER[measure].name} by audit year (final releases)"
    figure = uf.trend_figure(years, title=title, unit=unit, name=name, measure=measure)
    figure["layout"]["height"] = 300
    caption = f"{title}: {name} beside England and Wales"
    quarters_caption = (
        f"{name_for(measure, release.audit_year)} by quarter of "
        f"{fig.year_label(release.audit_year)} (provisional releases, the year to date)"
    )
    return AreaTrend(
        title=title,
        figure=figure,
        table=uf.trend_table_html(years, caption=caption, unit=unit, table_id="trend-table",
                                  measure=measure),
        quarters_table=uf.trend_table_html(quarters, caption=quarters_caption, unit=unit,
                                           table_id="trend-quarters-table") if quarters else "",
        summary=_summary(years, unit),
    )  # fmt: skip


def _summary(rows: list[uf.TrendRow], unit: str) -> str:
    shown = [r for r in rows if r.value is not None]
    if not shown:
        return "No final release has a value for this area on this measure yet."
    values = ", ".join(f"{fig.format_number(r.value, unit)} in {r.label}" for r in shown)
    return f"{values} ({unit})."
