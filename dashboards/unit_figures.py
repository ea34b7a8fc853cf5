"""Pure builders for a unit's page: spine charts (inline SVG), trends and case mix (plotly
figures) and the tables that are their text alternatives.

Input is the read API's rows (`AreaResult`, `TrendPoint`, a release's unit spread); output is
plain data, SVG strings and figures, so every builder is unit-tested without a database.
"""

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

from aggregation.areas import Area
from aggregation.peers import PEER_FEATURES
from aggregation.selectors import AreaResult, TrendPoint
from constants.breakdowns import BREAKDOWNS_BY_KEY
from constants.disclosure import CURRENT_POLICY, NOT_APPLICABLE, SUPPRESSED
from constants.kpis import DATASET_CHANGES, breaks_between

from . import palette
from .map_figures import (
    WITHHELD_COLOUR,
    comparison_key,
    comparison_short,
    counts_text,
    format_interval,
    format_number,
    format_value,
    year_label,
)
from .plot_style import figure

UNIT_COLOUR = palette.INK
NATIONAL_COLOUR = palette.REFERENCE_COLOUR  # England and Wales: a reference, not a comparison


# Spine charts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spine:
    """Positions (0 to 1, left to right) on one measure's spine: England and Wales in the
    middle, the units' spread around it, better to the right where the measure has a
    direction (Fingertips' convention)."""

    low: float
    q1: float
    q3: float
    high: float
    unit: float | None
    ci: tuple[float, float] | None
    colour: str
    flipped: bool  # lower is better: low values drawn on the right


def spine(
    result: AreaResult | None, national: float | None, spread: dict | None, polarity: str
) -> Spine | None:
    """The spine of one measure, or None where there is nothing to draw it around."""
    if national is None or not spread or spread.get("n", 0) < 2:
        return None
    half = max(national - spread["min"], spread["max"] - national, 1e-9)
    flipped = polarity == "down"

    def at(value: float) -> float:
        x = min(1.0, max(0.0, 0.5 + (value - national) / (2 * half)))
        return 1.0 - x if flipped else x

    low, high = sorted((at(spread["min"]), at(spread["max"])))
    q1, q3 = sorted((at(spread["q1"]), at(spread["q3"])))
    value = None if result is None or result.suppressed else result.value
    ci = None
    if value is not None and result.ci95:
        ci = tuple(sorted((at(result.ci95[0]), at(result.ci95[1]))))
    return Spine(
        low, q1, q3, high,
        unit=None if value is None else at(value), ci=ci,
        colour=_comparison_colour(result), flipped=flipped,
    )  # fmt: skip


def _comparison_colour(result: AreaResult | None) -> str:
    return WITHHELD_COLOUR if result is None else palette.comparison_colour(comparison_key(result))


SPINE_WIDTH, SPINE_HEIGHT = 240, 24
SPREAD_COLOUR, MIDDLE_COLOUR = "#d9d9d9", "#969696"  # as static/dashboards/unit.css has them


def spine_svg(shape: Spine, description: str) -> str:
    """The spine as an inline SVG: light bar lowest to highest unit, darker the middle half,
    a black line at England and Wales, the unit's 95% CI as a line and its value as a dot."""
    w, h, mid = SPINE_WIDTH, SPINE_HEIGHT, SPINE_HEIGHT / 2

    def x(p: float) -> str:
        return f"{4 + p * (w - 8):.1f}"

    parts = [
        f'<rect class="spread" x="{x(shape.low)}" y="{mid - 6}" '
        f'width="{(shape.high - shape.low) * (w - 8):.1f}" height="12"/>',
        f'<rect class="middle" x="{x(shape.q1)}" y="{mid - 6}" '
        f'width="{(shape.q3 - shape.q1) * (w - 8):.1f}" height="12"/>',
        f'<line class="national" x1="{x(0.5)}" x2="{x(0.5)}" y1="1" y2="{h - 1}"/>',
    ]
    if shape.ci is not None:
        parts.append(
            f'<line class="ci" x1="{x(shape.ci[0])}" x2="{x(shape.ci[1])}" y1="{mid}" y2="{mid}"/>'
        )
    if shape.unit is not None:
        parts.append(
            f'<circle class="unit" cx="{x(shape.unit)}" cy="{mid}" r="5.5" fill="{shape.colour}"/>'
        )
    return (
        f'<svg class="spine" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        f'aria-label="{html.escape(description)}">{"".join(parts)}</svg>'
    )


def spine_figure(rows: Sequence[tuple[str, Spine, str]], *, name: str) -> dict:
    """Every spine of a unit's page in one chart, for its image: per (label, spine, value
    words) row the units' spread (lowest to highest, darker the middle half), England and
    Wales at the centre line, the unit's 95% CI and its dot in its comparison colour."""
    shapes, dots, labels = [], [], []
    for i, (label, shape, words) in enumerate(rows):
        y = len(rows) - 1 - i
        labels.append(label)
        shapes += [
            _bar(shape.low, shape.high, y, 0.32, SPREAD_COLOUR),
            _bar(shape.q1, shape.q3, y, 0.32, MIDDLE_COLOUR),
        ]
        if shape.ci is not None:
            shapes.append({"type": "line", "x0": shape.ci[0], "x1": shape.ci[1], "y0": y, "y1": y,
                           "opacity": 1, "line": {"color": palette.INK, "width": 2}})  # fmt: skip
        if shape.unit is not None:
            dots.append((shape.unit, y, shape.colour, words))
    shapes.append({"type": "line", "x0": 0.5, "x1": 0.5, "y0": -0.6, "y1": len(rows) - 0.4,
                   "opacity": 1, "line": {"color": palette.INK, "width": 1.5}})  # fmt: skip
    trace = {
        "type": "scatter", "mode": "markers+text", "name": name,
        "x": [d[0] for d in dots], "y": [d[1] for d in dots],
        "text": [d[3] for d in dots], "textposition": "middle right",
        "textfont": {"size": 10}, "cliponaxis": False,
        "marker": {"color": [d[2] for d in dots], "size": 11,
                   "line": {"color": palette.INK, "width": 1}},
    }  # fmt: skip
    return figure(
        [trace], f"{name}: every measure against England and Wales", showlegend=False,
        height=90 + 24 * len(rows), shapes=shapes, margin={"l": 330, "r": 90, "t": 50, "b": 50},
        xaxis={"range": [-0.02, 1.02], "tickvals": [0, 0.5, 1], "showgrid": False,
               "ticktext": ["worse (or lower)", "England and Wales", "better (or higher)"],
               "zeroline": False},
        yaxis={"tickvals": list(range(len(rows))), "ticktext": list(reversed(labels)),
               "range": [-0.7, len(rows) - 0.3], "showgrid": False, "zeroline": False},
    )  # fmt: skip


def _bar(start: float, end: float, y: float, half: float, colour: str) -> dict:
    return {"type": "rect", "x0": start, "x1": end, "y0": y - half, "y1": y + half,
            "fillcolor": colour, "line": {"width": 0}, "layer": "below", "opacity": 1}  # fmt: skip


def spread_words(spread: dict, unit: str) -> str:
    number = lambda v: format_number(v, unit)  # noqa: E731
    return (
        f"{spread['n']} units: lowest {number(spread['min'])}, middle half "
        f"{number(spread['q1'])} to {number(spread['q3'])}, highest {number(spread['max'])}"
    )


# Trends ---------------------------------------------------------------------------------------

QUARTER_OF_MONTH = {6: 1, 9: 2, 12: 3, 3: 4}


@dataclass(frozen=True)
class TrendRow:
    label: str  # "2023-24" or "2024-25 Q2"
    date: str  # the calculation date, ISO (the quarters' x axis)
    value: float | None
    suppressed: bool
    ci95: tuple[float, float] | None
    counts: str  # "n of N"
    national: float | None
    audit_year: int = 0
    note: str = ""  # why there is no value when it is not withheld ("not collected ...")


def trend_rows(points: Sequence[TrendPoint], national: Sequence[TrendPoint]) -> list[TrendRow]:
    """One row per release, the area's result beside England and Wales in the same release."""
    benchmark = {p.release.id: p.result for p in national}
    rows = []
    for point in points:
        r, release = point.result, point.release
        label = year_label(release.audit_year)
        if release.kind != "final":
            label += f" Q{QUARTER_OF_MONTH.get(release.calculation_date.month, '?')}"
        other = benchmark.get(release.id)
        rows.append(
            TrendRow(
                label=label,
                date=release.calculation_date.isoformat(),
                value=None if r is None or r.suppressed else r.value,
                suppressed=r is not None and r.suppressed,
                ci95=None if r is None else r.ci95,
                counts=counts_text(r),
                national=None if other is None else other.value,
                audit_year=release.audit_year,
                note="" if r is None else r.value_note if r.not_collected else "",
            )
        )
    return rows


def series_break(rows: Sequence[TrendRow], measure: str) -> tuple[int, str] | None:
    """Where a trend crosses a change of the measure's definition (kpis.md §7: 21, 22, 23
    with the 2026 dataset): the index of the first row after it, and what changed."""
    for i in range(1, len(rows)):
        if breaks_between(measure, rows[i - 1].audit_year, rows[i].audit_year):
            return i, DATASET_CHANGES[measure].note
    return None


def _split(trace: dict, at: int | None) -> list[dict]:
    """A line trace as two, before and after a break, so no line joins them."""
    if at is None:
        return [trace]
    keys = [k for k in ("x", "y", "hovertext") if k in trace]
    before = {**trace, **{k: trace[k][:at] for k in keys}, "legendgroup": trace["name"]}
    after = {**trace, **{k: trace[k][at:] for k in keys}, "legendgroup": trace["name"],
             "showlegend": False}  # fmt: skip
    if "error_y" in trace:
        error = trace["error_y"]
        before["error_y"] = {**error, "array": error["array"][:at],
                             "arrayminus": error["arrayminus"][:at]}  # fmt: skip
        after["error_y"] = {**error, "array": error["array"][at:],
                            "arrayminus": error["arrayminus"][at:]}  # fmt: skip
    return [before, after]


def period_text(rows: Sequence[TrendRow]) -> str:
    """The releases a trend covers, in words: "2022-23 to 2024-25"."""
    if not rows:
        return "no releases"
    if len(rows) == 1:
        return rows[0].label
    return f"{rows[0].label} to {rows[-1].label}"


def trend_figure(
    rows: Sequence[TrendRow], *, title: str, unit: str, name: str, measure: str = ""
) -> dict:
    """The area's values with 95% CIs (dots and bars) and England and Wales (a dashed line);
    a break in the measure's definition is a labelled line, and no line crosses it."""
    shown = [r for r in rows if r.value is not None]
    cut = series_break(rows, measure)
    national = {
        "type": "scatter", "x": [r.label for r in rows], "y": [r.national for r in rows],
        "mode": "lines+markers", "name": "England and Wales",
        "line": {"color": NATIONAL_COLOUR, "dash": "dash", "width": 1.6},
        "marker": {"symbol": "diamond", "size": 7},
        "hovertemplate": "%{x}: %{y:.1f}<extra>England and Wales</extra>",
    }  # fmt: skip
    area = {
        "type": "scatter", "x": [r.label for r in shown], "y": [r.value for r in shown],
        "mode": "lines+markers", "name": f"{name} (95% CI)",
        "line": {"color": UNIT_COLOUR, "width": 1.4}, "marker": {"size": 9, "color": UNIT_COLOUR},
        "error_y": {
            "type": "data", "symmetric": False, "color": UNIT_COLOUR, "thickness": 1.4, "width": 6,
            "array": [r.ci95[1] - r.value if r.ci95 else 0 for r in shown],
            "arrayminus": [r.value - r.ci95[0] if r.ci95 else 0 for r in shown],
        },
        "hovertext": [_trend_hover(r, unit) for r in shown], "hoverinfo": "text",
    }  # fmt: skip
    layout = {}
    if cut is not None:
        at = cut[0]
        shown_before = sum(1 for r in rows[:at] if r.value is not None)
        traces = [*_split(national, at), *_split(area, shown_before)]
        layout = _break_marks(at)
    else:
        traces = [national, area]
    return figure(
        traces, title, height=320,
        margin={"l": 60, "r": 15, "t": 50, "b": 40}, legend={"orientation": "h", "y": -0.2},
        yaxis={"title": {"text": f"Value ({unit})"}}, xaxis={"type": "category"}, **layout,
    )  # fmt: skip


def _break_marks(at: int) -> dict:
    """A dotted vertical line between the categories either side of a break, labelled."""
    x = at - 0.5
    line = {"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
            "line": {"color": palette.GOVUK_DARK_GREY, "width": 1.5, "dash": "dot"}}  # fmt: skip
    label = {"xref": "x", "yref": "paper", "x": x, "y": 1, "yanchor": "bottom", "showarrow": False,
             "text": "Definition changed: not comparable", "font": {"size": 11}}  # fmt: skip
    return {"shapes": [line], "annotations": [label]}


def _trend_hover(row: TrendRow, unit: str) -> str:
    lines = [f"<b>{row.label}</b>", f"Value: {format_number(row.value, unit)} {html.escape(unit)}",
             f"95% CI: {format_interval(row.ci95)}"]  # fmt: skip
    if row.counts:
        lines.append(f"n of N: {row.counts}")
    return "<br>".join(lines)


def trend_table_html(
    rows: Sequence[TrendRow], *, caption: str, unit: str, table_id: str, measure: str = ""
) -> str:
    head = "".join(
        f'<th scope="col" class="{css}">{label}</th>'
        for label, css in (("Period", ""), (f"Value ({html.escape(unit)})", "num"),
                           ("95% CI", "num"), ("n of N", "num"), ("England and Wales", "num"))
    )  # fmt: skip
    cut = series_break(rows, measure)
    lines = []
    for i, r in enumerate(rows):
        if cut and i == cut[0]:
            lines.append(
                f'<tr class="series-break"><td colspan="5"><strong>Break in series:</strong> '
                f"{html.escape(cut[1])}</td></tr>"
            )
        value = (
            html.escape(r.note.capitalize())
            if r.note
            else format_number(r.value, unit, suppressed=r.suppressed)
        )
        lines.append(
            f'<tr><th scope="row">{html.escape(r.label)}</th><td class="num">{value}</td>'
            f'<td class="num">{format_interval(r.ci95)}</td><td class="num">{r.counts}</td>'
            f'<td class="num">{format_number(r.national, unit)}</td></tr>'
        )
    body = "".join(lines) or '<tr><td colspan="5">No releases with this measure.</td></tr>'

    return (
        f'<table class="results" id="{table_id}"><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


# Case mix ---------------------------------------------------------------------------------------

CASE_MIX_GROUPS = (
    ("age", "Age at the start of the year"),
    ("diabetes_type", "Diabetes type"),
    ("sex", "Sex"),
    ("ethnicity_group", "Ethnicity group"),
    ("imd_quintile", "Deprivation (IMD quintile, 1 = most deprived)"),
)
AGE_BANDS = (("under_12", "Under 12"), ("12_to_15", "12 to 15"), ("16_and_over", "16 and over"))


@dataclass(frozen=True)
class CaseMixRow:
    group: str
    category: str
    count: int | None  # None: withheld
    share: float | None  # % of the area's children
    national_share: float | None


def derived_band(over_12: int | None, over_16: int | None, national: bool) -> int | None:
    """Children aged 12 to 15: 12 and over less 16 and over. Below national level both counts
    are rounded to 5 (each within 2 of the truth), so the true band lies within 4 of the
    difference; where that range reaches a count of 1 to 7, which disclosure control always
    withholds, the band is withheld too (None)."""
    if over_12 is None or over_16 is None:
        return None
    band = max(over_12 - over_16, 0)
    error = 0 if national else 2 * (CURRENT_POLICY.rounding_base // 2)
    could_be_small = band - error <= CURRENT_POLICY.small_count_max and band + error >= 1
    return None if could_be_small else band


def _counts_by_category(rows: Sequence[AreaResult]) -> tuple[int | None, dict]:
    total, counts = None, {}
    for r in rows:
        count = None if r.numerator_suppressed else r.numerator
        if not r.breakdown:
            total = count
        else:
            counts[(r.breakdown, r.category)] = count
    # Age bands from the two published age splits: 12 to 15 = 12 and over less 16 and over.
    over_12, over_16 = counts.get(("age_12", "12_and_over")), counts.get(("age_16", "16_and_over"))
    counts[("age", "under_12")] = counts.get(("age_12", "under_12"))
    counts[("age", "16_and_over")] = over_16
    national = bool(rows) and rows[0].level == "national"
    counts[("age", "12_to_15")] = derived_band(over_12, over_16, national)
    return total, counts


def _share(count: int | None, total: int | None) -> float | None:
    return None if count is None or not total else 100 * count / total


def case_mix_rows(area: Sequence[AreaResult], national: Sequence[AreaResult]) -> list[CaseMixRow]:
    """The area's children by age band, diabetes type, sex, ethnicity group and deprivation
    quintile (KPI 1), as counts and shares beside England and Wales' shares."""
    total, counts = _counts_by_category(area)
    national_total, national_counts = _counts_by_category(national)
    rows = []
    for key, group in CASE_MIX_GROUPS:
        categories = AGE_BANDS if key == "age" else BREAKDOWNS_BY_KEY[key].categories
        for code, label in categories:
            count, other = counts.get((key, code)), national_counts.get((key, code))
            if code == "not_recorded" and not count and not other:
                continue  # nobody unrecorded anywhere: no row
            rows.append(
                CaseMixRow(group, label, count, _share(count, total), _share(other, national_total))
            )
    return rows


def _percent(share: float | None, withheld: bool = False) -> str:
    if withheld:
        return SUPPRESSED
    return NOT_APPLICABLE if share is None or not math.isfinite(share) else f"{share:.1f}%"


def case_mix_figure(rows: Sequence[CaseMixRow], *, name: str, title: str) -> dict:
    """Shares of the area's children beside England and Wales', one bar pair per group."""
    y = [f"{r.group.split(' (')[0]}: {r.category}" for r in rows]
    national = {
        "type": "bar", "orientation": "h", "y": y, "x": [r.national_share for r in rows],
        "name": "England and Wales",
        "marker": {"color": palette.GOVUK_MID_GREY, "line": {"color": NATIONAL_COLOUR, "width": 1}},
        "hovertemplate": "%{y}: %{x:.1f}%<extra>England and Wales</extra>",
    }  # fmt: skip
    area = {
        "type": "bar", "orientation": "h", "y": y, "x": [r.share for r in rows], "name": name,
        "marker": {"color": UNIT_COLOUR},
        "hovertemplate": "%{y}: %{x:.1f}%<extra>" + html.escape(name) + "</extra>",
    }  # fmt: skip
    return figure(
        [national, area], title, height=160 + 26 * len(rows), barmode="group",
        margin={"l": 260, "r": 15, "t": 50, "b": 40},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        xaxis={"title": {"text": "Share of children (%)"}}, yaxis={"autorange": "reversed"},
    )  # fmt: skip


def case_mix_table_html(rows: Sequence[CaseMixRow], *, name: str, caption: str) -> str:
    head = "".join(
        f'<th scope="col" class="{css}">{html.escape(label)}</th>'
        for label, css in (("Group", ""), ("Children", "num"), (f"Share, {name}", "num"),
                           ("Share, England and Wales", "num"))
    )  # fmt: skip
    body = "".join(
        f'<tr><th scope="row">{html.escape(r.group)}: {html.escape(r.category)}</th>'
        f'<td class="num">{SUPPRESSED if r.count is None else f"{r.count:,}"}</td>'
        f'<td class="num">{_percent(r.share, r.count is None)}</td>'
        f'<td class="num">{_percent(r.national_share)}</td></tr>'
        for r in rows
    )
    return (
        f'<table class="results" id="case-mix-table"><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


# Peer units -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerRow:
    code: str
    name: str
    url: str
    distance: str  # "" for the unit itself
    features: list[str]
    value: str
    interval: str
    comparison: str
    own: bool = False


def _feature_text(percent: bool, value: float | None) -> str:
    if value is None:
        return SUPPRESSED
    return f"{value:.0f}%" if percent else f"{value:,.0f}"


def peer_row(
    area: Area,
    distance: float | None,
    features: dict,
    result: AreaResult | None,
    url: str,
    *,
    own: bool = False,
) -> PeerRow:
    return PeerRow(
        area.code, area.name, url, "" if distance is None else f"{distance:.2f}",
        [_feature_text(f.percent, features.get(f.key)) for f in PEER_FEATURES],
        "" if result is None else format_value(result.value, result.unit,
                                               suppressed=result.suppressed),
        "" if result is None or result.suppressed else format_interval(result.ci95),
        "No result" if result is None else comparison_short(result), own,
    )  # fmt: skip


def peer_table_html(rows: Sequence[PeerRow], *, caption: str) -> str:
    """The unit (first, marked) and its peers: their case mix, distance and values."""
    labels = ["Unit", "Distance", *(f.label.replace(" (log scale)", "") for f in PEER_FEATURES),
              "Value", "95% CI", "Compared with England and Wales"]  # fmt: skip
    numeric = {"Distance", "Value", "95% CI", *(f.label for f in PEER_FEATURES), "Children"}
    head = "".join(
        f'<th scope="col" class="{"num" if label in numeric else ""}">{html.escape(label)}</th>'
        for label in labels
    )
    body = []
    for r in rows:
        name = html.escape(r.name) + (" (this unit)" if r.own else "")
        link = name if r.own else f'<a href="{html.escape(r.url)}">{name}</a>'
        cells = "".join(f'<td class="num">{html.escape(v)}</td>' for v in r.features)
        chosen = ' class="chosen"' if r.own else ""
        body.append(
            f'<tr data-code="{html.escape(r.code)}"{chosen}>'
            f'<th scope="row">{link}</th><td class="num">{r.distance}</td>{cells}'
            f'<td class="num">{html.escape(r.value)}</td><td class="num">{r.interval}</td>'
            f"<td>{html.escape(r.comparison)}</td></tr>"
        )
    return (
        f'<table class="results" id="peers-table"><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )
