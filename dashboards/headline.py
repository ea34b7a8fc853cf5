"""The home page's headline results: England and Wales on a few measures in the latest final
release, their trend over the published years, and the open year's provisional figure beside
them. Published, disclosure-controlled release rows only, read through the selectors; the
pictures are small inline SVGs drawn here (no script, so they paint with the page).
"""

import html
from collections.abc import Sequence
from dataclasses import dataclass

from aggregation import selectors
from aggregation.figures import value_unit
from aggregation.measures import RULES
from aggregation.rollup import NATIONAL_CODE
from aggregation.selectors import AreaResult, ReleaseSummary
from constants.kpis import definition_for, name_for

from . import map_figures as fig
from . import palette
from . import unit_figures as uf

# The audit's headline outcome, the care processes, the technology it tracks and the
# emergencies it counts: what the NPDA annual report leads with (ADR 0027).
HOME_MEASURES = ("44", "32.1", "24", "23", "47")
CHILDREN_MEASURE = "1"

# One line each, for the public: what the figure means and which way is better. The spec's
# definition (kpis.md) is beside it on the methods page and on every area page.
PLAIN_WORDS = {
    "44": "The average HbA1c (blood glucose over the previous 2 to 3 months) of children and "
    "young people with diabetes. Lower is better.",
    "32.1": "Of the yearly health checks each child should have (HbA1c, weight, thyroid; from "
    "12 also blood pressure, kidneys and feet), the share that were done. Higher is better.",
    "24": "Children with type 1 diabetes using a hybrid closed loop (an insulin pump that a "
    "glucose sensor adjusts). Higher is better.",
    "23": "Children with type 1 diabetes using a real-time continuous glucose monitor with "
    "alarms. Higher is better.",
    "47": "Hospital admissions with diabetic ketoacidosis (DKA), a dangerous emergency, per "
    "100 children. Lower is better.",
}


@dataclass(frozen=True)
class Headline:
    number: str
    name: str
    plain: str  # the one-line meaning
    definition: str  # the spec's definition for the release's year
    value: str  # "57.8 mmol/mol"
    interval: str  # "57.5 to 58.1"
    counts: str  # what it rests on: "9,101 of 31,763 children"
    trend_svg: str  # the published years, as a small inline SVG with its text alternative
    trend_text: str  # the same in words
    trend_rows: list[uf.TrendRow]
    provisional: str  # the open year's figure so far ("" when there is no open year)
    map_url: str
    funnel_url: str  # "" where the measure has no funnel plot


@dataclass(frozen=True)
class HomeResults:
    release: ReleaseSummary | None  # the latest final release (None before the first)
    open_release: ReleaseSummary | None  # the open year's latest provisional release
    children: str  # eligible children in the latest final release, in words
    headlines: list[Headline]


def open_year_release(final: ReleaseSummary | None) -> ReleaseSummary | None:
    """The latest current provisional release of a year after the latest final one."""
    after = final.audit_year if final else -1
    provisional = [
        r for r in selectors.releases(current_only=True)
        if r.kind == "provisional" and r.audit_year > after
    ]  # fmt: skip
    return provisional[0] if provisional else None  # newest first


def home_results() -> HomeResults:
    final = selectors.latest_final_release()
    if final is None:
        return HomeResults(None, None, "", [])
    open_release = open_year_release(final)
    latest = _national(final.id)
    early = _national(open_release.id) if open_release else {}
    funnels = {m.number for m in selectors.funnel_measures()}
    headlines = [
        _headline(number, final, latest.get(number), early.get(number), open_release, funnels)
        for number in HOME_MEASURES
    ]
    children = latest.get(CHILDREN_MEASURE)
    count = "" if children is None or children.value is None else f"{children.value:,.0f}"
    return HomeResults(final, open_release, count, headlines)


def _national(release_id: int) -> dict[str, AreaResult]:
    rows = selectors.release_results(release_id, level="national", breakdown="")
    return {r.measure: r for r in rows}


def _headline(number, final, result, early, open_release, funnels) -> Headline:
    unit = value_unit(number)
    national = selectors.trend("national", NATIONAL_CODE, number)
    rows = uf.trend_rows(national.years, [])
    name = name_for(number, final.audit_year)
    return Headline(
        number=number,
        name=name,
        plain=PLAIN_WORDS.get(number, ""),
        definition=definition_for(number, final.audit_year),
        value=_value(result),
        interval="" if result is None else fig.format_interval(result.ci95),
        counts=counts_words(result),
        trend_svg=sparkline_svg(rows, unit, f"{name}, England and Wales, by audit year"),
        trend_text=trend_words(rows, unit),
        trend_rows=rows,
        provisional=_provisional(early, open_release),
        map_url=f"/maps/?level=icb&measure={number}",
        funnel_url=f"/benchmarking/{number}/" if number in funnels else "",
    )


# What n and N count, by the kind of value (aggregation.measures: the engine's own kinds).
COUNT_WORDS = {
    "proportion": "{n} of {N} children",
    "check_proportion": "{n} of {N} health checks",
    "mean": "from {n} children",
    "events": "{n} admissions among {N} children",
}


def counts_words(result: AreaResult | None) -> str:
    """What the figure rests on, in words: "9,101 of 31,763 children"."""
    if result is None or result.numerator is None:
        return ""
    kind = RULES[result.measure].value_kind
    words = COUNT_WORDS.get(kind, "")
    n = fig.format_count(result.numerator, result.numerator_suppressed)
    big_n = fig.format_count(result.denominator, result.denominator_suppressed)
    return words.format(n=n, N=big_n)


def _value(result: AreaResult | None) -> str:
    if result is None:
        return fig.format_value(None, "")
    return fig.format_value(result.value, result.unit, suppressed=result.suppressed)


def _provisional(result: AreaResult | None, release: ReleaseSummary | None) -> str:
    if result is None or release is None or result.value is None:
        return ""
    return (
        f"{_value(result)} in {fig.year_label(release.audit_year)} so far "
        f"(provisional, to {release.calculation_date:%-d %B %Y})"
    )


def trend_words(rows: Sequence[uf.TrendRow], unit: str) -> str:
    """ "59.1 in 2022-23, 58.4 in 2023-24, 57.9 in 2024-25" (or why there is no trend)."""
    shown = [r for r in rows if r.value is not None]
    if not shown:
        return "No published years yet."
    return ", ".join(f"{fig.format_number(r.value, unit)} in {r.label}" for r in shown)


SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 220, 64, 14


def sparkline_svg(rows: Sequence[uf.TrendRow], unit: str, title: str) -> str:
    """The values by year as dots joined by a line, each with its 95% interval, the first and
    last years labelled: a picture of the trend whose words are its `aria-label`."""
    shown = [r for r in rows if r.value is not None]
    label = html.escape(f"{title}: {trend_words(rows, unit)}")
    if not shown:
        return ""
    lows = [r.ci95[0] if r.ci95 else r.value for r in shown]
    highs = [r.ci95[1] if r.ci95 else r.value for r in shown]
    low, high = min(lows), max(highs)
    span = (high - low) or 1.0
    inner_w, inner_h = SPARK_WIDTH - 2 * SPARK_PAD, SPARK_HEIGHT - 2 * SPARK_PAD - 10

    def x(i: int) -> float:
        return SPARK_PAD + (inner_w * i / (len(shown) - 1) if len(shown) > 1 else inner_w / 2)

    def y(value: float) -> float:
        return SPARK_PAD + inner_h * (1 - (value - low) / span)

    ink, grey = palette.INK, palette.GOVUK_DARK_GREY
    parts = [
        f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{y(hi):.1f}" y2="{y(lo):.1f}" '
        f'stroke="{grey}" stroke-width="1.5"/>'
        for i, (lo, hi) in enumerate(zip(lows, highs, strict=True))
    ]
    points = " ".join(f"{x(i):.1f},{y(r.value):.1f}" for i, r in enumerate(shown))
    parts.append(f'<polyline points="{points}" fill="none" stroke="{ink}" stroke-width="1.5"/>')
    parts += [
        f'<circle cx="{x(i):.1f}" cy="{y(r.value):.1f}" r="3.2" fill="{ink}"/>'
        for i, r in enumerate(shown)
    ]
    for i in {0, len(shown) - 1}:
        anchor = "start" if i == 0 and len(shown) > 1 else "end" if i else "middle"
        parts.append(
            f'<text x="{x(i):.1f}" y="{SPARK_HEIGHT - 3}" font-size="10" text-anchor="{anchor}" '
            f'fill="{ink}">{html.escape(shown[i].label)}</text>'
        )
    return (
        f'<svg class="sparkline" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" width="{SPARK_WIDTH}" '
        f'height="{SPARK_HEIGHT}" role="img" aria-label="{label}">{"".join(parts)}</svg>'
    )
