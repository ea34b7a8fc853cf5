"""Pure builders for the map explorer: class breaks, colours, legends, the `hideout` that the
style functions in `static/dashboards/map.js` read, tooltips and the table beside the map.

Input is the read API's `AreaResult` rows; output is plain data (dicts, lists, strings), so
changing a measure, release or colouring sends a few kilobytes of styling and never geometry.
"""

import html
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import mapclassify
import numpy as np

from aggregation.measures import RULES
from aggregation.selectors import AreaResult
from constants import disclosure as sdc
from constants.disclosure import NOT_APPLICABLE, SUPPRESSED

from . import palette
from .map_state import MapState, drill_target, sort_link

CLASSES = 5
# Every colour is the palette's (ADR 0025): one meaning of colour across maps, funnels, spines
# and tables, always with words beside it.
VALUE_COLOURS = palette.VALUE_COLOURS
COMPARISON_COLOURS = palette.COMPARISON_COLOURS
COMPARISON_WORDS = {
    "better": "Better than England and Wales",
    "similar": "Similar to England and Wales",
    "worse": "Worse than England and Wales",
    "lower": "Lower than England and Wales",
    "higher": "Higher than England and Wales",
    "not compared": "Not compared",
}
WITHHELD_COLOUR = palette.WITHHELD_COLOUR
NO_DATA_COLOUR = palette.NO_DATA_COLOUR  # areas with no result
OUTSIDE_COLOUR = palette.OUTSIDE_COLOUR  # areas outside the chosen one


# Numbers as people read them --------------------------------------------------------------------


def format_value(value: float | None, unit: str, *, suppressed: bool = False) -> str:
    if suppressed:
        return SUPPRESSED
    if value is None:
        return NOT_APPLICABLE
    if unit == "children":
        return f"{value:,.0f}"
    number = f"{value:,.1f}"
    return f"{number}%" if unit == "%" else f"{number} {unit}"


def format_number(value: float | None, unit: str, *, suppressed: bool = False) -> str:
    """A value without its unit (the table names the unit in its heading)."""
    if suppressed:
        return SUPPRESSED
    if value is None:
        return NOT_APPLICABLE
    return f"{value:,.0f}" if unit == "children" else f"{value:,.1f}"


def format_count(count: int | None, suppressed: bool) -> str:
    if suppressed:
        return SUPPRESSED
    return NOT_APPLICABLE if count is None else f"{count:,}"


def counts_text(result: AreaResult | None) -> str:
    """ "n of N" for a measure with a denominator, else "" (counts and missing results)."""
    if result is None or (result.denominator is None and not result.denominator_suppressed):
        return ""
    return (
        f"{format_count(result.numerator, result.numerator_suppressed)} of "
        f"{format_count(result.denominator, result.denominator_suppressed)}"
    )


def year_label(year: int) -> str:
    """An audit year as people write it: 2024 -> "2024-25"."""
    return f"{year}-{str(year + 1)[2:]}"


def format_interval(ci: tuple[float, float] | None) -> str:
    return NOT_APPLICABLE if ci is None else f"{ci[0]:,.1f} to {ci[1]:,.1f}"


def comparison_words(result: AreaResult) -> str:
    if result.not_collected:
        return "Not compared (not collected)"
    if result.suppressed:
        return "Not compared (value withheld)"
    return COMPARISON_WORDS.get(result.comparison, "Not compared")


def comparison_short(result: AreaResult) -> str:
    """The table's comparison cell, under the heading "Compared with England and Wales"."""
    if result.not_collected:
        return "Not compared (not collected)"
    if result.suppressed:
        return "Not compared (withheld)"
    return (result.comparison or "not compared").capitalize()


def short_name(name: str) -> str:
    """Area names as tables show them: "NHS Kent and Medway ICB"."""
    return name.removesuffix(" Integrated Care Board").strip() + (
        " ICB" if name.endswith(" Integrated Care Board") else ""
    )


KEEP_CAPITALS = {"NHS", "UK", "ICB", "II"}
SMALL_WORDS = {"and", "of", "the", "for", "in", "on", "at"}


def plain_name(name: str) -> str:
    """A name as people write it: the ODS lists' capitals ("CAMBRIDGE UNIVERSITY HOSPITALS NHS
    FOUNDATION TRUST") in title case, NHS kept ("Cambridge University Hospitals NHS Foundation
    Trust"); names already in mixed case are left alone."""
    if not name or name != name.upper():
        return name
    words = []
    for i, word in enumerate(name.split(" ")):
        if word.strip(",.()") in KEEP_CAPITALS:
            words.append(word)
        elif i and word.lower() in SMALL_WORDS:
            words.append(word.lower())
        else:
            words.append(word[:1] + word[1:].lower())
    return " ".join(words)


def withheld_words(result: AreaResult) -> str:
    return f"withheld: {not_shown_reason(result) or result.value_note or 'disclosure control'}"


# Why an area's value is not shown: a few words (a caption counts them) and a sentence (said
# about one chosen area). Averages name their children: "1 to 7" counts are their contributors.
FEW, SMALL = sdc.CURRENT_POLICY.min_contributors, sdc.CURRENT_POLICY.small_count_max
NOT_SHOWN = {
    "few": (f"fewer than {FEW} children", f"fewer than {FEW} children contribute to it"),
    "small": (f"a count of 1 to {SMALL}", f"a count it rests on is between 1 and {SMALL}"),
    "secondary": (
        "hidden to protect another hidden count",
        "a count it rests on is hidden so that another hidden count cannot be worked out",
    ),
    "derived": ("it rests on a hidden count", "a count it rests on is hidden"),
    "complement": ("hidden to protect a hidden count", "a count it rests on is hidden"),
    "none": ("no children in the measure", "it has no children in this measure"),
    "not collected": ("not collected this year", "this measure is not collected this year"),
}
REASON_KEYS = {
    sdc.PRIMARY_FEW_CONTRIBUTORS: "few", sdc.PRIMARY_SMALL_COUNT: "small",
    sdc.SENSITIVE_MEASURE: "small", sdc.SECONDARY: "secondary",
    sdc.DERIVED_FROM_SUPPRESSED: "derived", sdc.COMPLEMENT: "complement",
}  # fmt: skip


def _is_average(result: AreaResult) -> bool:
    rule = RULES.get(result.measure)
    kind = "median" if result.breakdown == "first_blood_gas" else getattr(rule, "value_kind", "")
    return kind in ("mean", "median")


def not_shown_key(result: AreaResult) -> str:
    """Why the area's value is not shown (a key of NOT_SHOWN), or "" when it is."""
    if result.not_collected:
        return "not collected"
    if result.suppressed:
        key = REASON_KEYS.get(result.suppression_reason, "derived")
        return "few" if key == "small" and _is_average(result) else key
    return "none" if result.value is None else ""


def not_shown_reason(result: AreaResult) -> str:
    """A few words: "fewer than 8 children" ("" when the value is shown)."""
    key = not_shown_key(result)
    return NOT_SHOWN[key][0] if key else ""


def not_shown_sentence(result: AreaResult) -> str:
    """Why, as a clause about the area: "its value is withheld to protect confidentiality,
    because fewer than 8 children contribute to it"."""
    key = not_shown_key(result)
    if not key:
        return ""
    if result.suppressed:
        return f"its value is withheld to protect confidentiality, because {NOT_SHOWN[key][1]}"
    return NOT_SHOWN[key][1]


def not_shown_text(results: Sequence[AreaResult], noun: str) -> str:
    """How many areas are not shown and why, e.g. "5 units not shown: fewer than 8
    children." or "All 172 units shown."."""
    reasons = [not_shown_reason(r) for r in results]
    missing = [reason for reason in reasons if reason]
    if not missing:
        return f"All {len(results)} {_plural(noun, len(results))} shown." if results else ""
    counts: dict[str, int] = {}
    for reason in missing:
        counts[reason] = counts.get(reason, 0) + 1
    why = (
        next(iter(counts)) if len(counts) == 1
        else "; ".join(f"{n} {reason}" for reason, n in counts.items())
    )  # fmt: skip
    return f"{len(missing)} {_plural(noun, len(missing))} not shown: {why}."


def _plural(noun: str, count: int) -> str:
    return noun if count == 1 else f"{noun}s"


# Ranks follow polarity: rank 1 is the best area (the largest where nothing is better), as the
# rank column's heading and the table's caption say.
RANK_WORDS = {
    "up": ("Rank (1 = best)", "best first: higher is better, so rank 1 has the highest value"),
    "down": ("Rank (1 = best)", "best first: lower is better, so rank 1 has the lowest value"),
    "none": ("Rank (1 = highest)", "highest value first (neither higher nor lower is better)"),
    "n/a": ("Rank (1 = largest)", "largest first (a count, neither better nor worse)"),
}


def best_first_sort(polarity: str) -> str:
    """The table sort that puts rank 1 first: lowest first where lower is better."""
    return "value" if polarity == "down" else "-value"


def ranked(rows: Sequence["TableRow"]) -> list[tuple[int | None, "TableRow"]]:
    """Rows in their order with a rank for each shown value (None for one not shown)."""
    ranks, rank = [], 0
    for row in rows:
        if row.not_shown:
            ranks.append((None, row))
        else:
            rank += 1
            ranks.append((rank, row))
    return ranks


# Colouring ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LegendItem:
    colour: str
    label: str


POLARITY_WORDS = {
    "up": "higher is better",
    "down": "lower is better",
    "none": "neither higher nor lower is better",
    "n/a": "a count, not compared",
}


def legend_title(measure_name: str, unit: str, polarity: str, mode: str) -> str:
    """The legend's heading: what is coloured and which way is better (for a value scale,
    which end of it)."""
    unit_text = f" ({unit})" if unit and unit != "children" else ""
    if mode == "comparison":
        return (
            f"{measure_name}{unit_text}, compared with England and Wales: "
            + (POLARITY_WORDS[polarity])
        )
    return f"{measure_name}{unit_text}, value: {palette.value_scale_words(polarity)}"


def comparison_key(result: AreaResult) -> str:
    """The palette's key for a result's comparison: "withheld" where its value is."""
    if result.suppressed:
        return "withheld"
    return result.comparison or "not compared"


@dataclass(frozen=True)
class Colouring:
    """How each result gets its fill: by comparison, or by value class (upper class bounds)."""

    mode: str  # "comparison" | "value"
    upper_bounds: tuple[float, ...] = ()
    unit: str = ""

    def fill(self, result: AreaResult) -> str:
        if result.suppressed:
            return WITHHELD_COLOUR
        if self.mode == "comparison":
            return COMPARISON_COLOURS.get(result.comparison or "not compared", NO_DATA_COLOUR)
        if result.value is None or not self.upper_bounds:
            return NO_DATA_COLOUR
        return VALUE_COLOURS[value_class(result.value, self.upper_bounds)]


def value_class(value: float, upper_bounds: Sequence[float]) -> int:
    """The class of a value: the first whose upper bound it does not exceed (the last class
    for values above every bound, as a unit can lie outside the areas' range)."""
    for i, bound in enumerate(upper_bounds):
        if value <= bound:
            return i
    return len(upper_bounds) - 1


def class_bounds(values: Sequence[float | None]) -> tuple[float, ...]:
    """Upper bounds of up to 5 classes, each holding a fifth of the areas (quintiles, as
    commissioners read league tables; fewer classes when there are fewer distinct values),
    rounded to the published 1 decimal place. Quantiles take 0.5 ms for 172 units where
    Fisher-Jenks breaks take 95 ms in pure Python."""
    present = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    distinct = np.unique(present)
    if distinct.size == 0:
        return ()
    if distinct.size <= CLASSES:
        return tuple(float(v) for v in distinct)
    with warnings.catch_warnings():  # ties leave fewer classes: that is what np.unique is for
        warnings.simplefilter("ignore", UserWarning)
        bins = mapclassify.Quantiles(present, k=CLASSES).bins
    return tuple(float(b) for b in np.unique(np.round(bins, 1)))


def colouring(mode: str, results: Sequence[AreaResult], unit: str) -> Colouring:
    if mode != "value":
        return Colouring("comparison")
    shown = [r.value for r in results if not r.suppressed]
    return Colouring("value", class_bounds(shown), unit)


def legend(colour: Colouring, results: Sequence[AreaResult]) -> list[LegendItem]:
    """The legend in words, listing only classes present (with their number of areas)."""
    if colour.mode == "comparison":
        counts: dict[str, int] = {}
        for r in results:
            key = "withheld" if r.suppressed else (r.comparison or "not compared")
            counts[key] = counts.get(key, 0) + 1
        items = [
            LegendItem(COMPARISON_COLOURS[k], f"{COMPARISON_WORDS[k]} ({counts[k]})")
            for k in COMPARISON_COLOURS
            if k in counts
        ]
    else:
        bounds = colour.upper_bounds
        counts = {}
        for r in results:
            if not r.suppressed and r.value is not None and bounds:
                i = value_class(r.value, bounds)
                counts[i] = counts.get(i, 0) + 1
        items = []
        for i, upper in enumerate(bounds):
            top = _bound_text(upper, colour.unit)
            label = (
                f"up to {top}"
                if i == 0
                else f"over {_bound_text(bounds[i - 1], colour.unit)} to {top}"
            )
            items.append(LegendItem(VALUE_COLOURS[i], f"{label} ({counts.get(i, 0)})"))
    if any(r.suppressed for r in results):
        n = sum(r.suppressed for r in results)
        items.append(LegendItem(WITHHELD_COLOUR, f"Value withheld (disclosure control) ({n})"))
    return items


def _bound_text(value: float, unit: str) -> str:
    return format_value(value, unit) if unit != "children" else f"{value:,.0f}"


# Tooltips and hideouts ----------------------------------------------------------------------------


def tooltip_lines(result: AreaResult, measure_name: str) -> list[str]:
    """What hovering over an area or unit says, line by line (plain text)."""
    lines = [result.area_name]
    if result.suppressed:
        lines.append(f"{measure_name}: {SUPPRESSED} ({withheld_words(result)})")
    elif result.not_collected:
        lines.append(f"{measure_name}: {result.value_note}")
    else:
        lines.append(f"{measure_name}: {format_value(result.value, result.unit)}")
    if result.denominator is not None or result.denominator_suppressed:
        n = format_count(result.numerator, result.numerator_suppressed)
        big_n = format_count(result.denominator, result.denominator_suppressed)
        lines.append(f"n of N: {n} of {big_n}")
    if result.ci95 is not None:
        lines.append(f"95% CI: {format_interval(result.ci95)}")
    lines.append(comparison_words(result))
    if result.incomplete:
        lines.append(f"Still incomplete: {result.incomplete:,} children")
    return lines


def tooltip(result: AreaResult, measure_name: str) -> str:
    """The hover text as escaped HTML, the area's name in bold."""
    name, *rest = (html.escape(line) for line in tooltip_lines(result, measure_name))
    return "<br>".join([f"<strong>{name}</strong>", *rest])


def area_hideout(
    results: Sequence[AreaResult],
    colour: Colouring | None,
    measure_name: str,
    *,
    focus: str = "",
    names: dict[str, str] | None = None,
    drill: dict[str, str] | None = None,
) -> dict:
    """What the area style function reads: a fill and a tooltip per area code, the area to
    outline, and the query string a click on an area leads to. `colour` None draws the areas
    as a plain base (when units carry the colours)."""
    fill, tip = {}, {}
    for code, name in (names or {}).items():
        fill[code], tip[code] = OUTSIDE_COLOUR, f"<strong>{html.escape(name)}</strong>"
    for r in results:
        fill[r.area_code] = colour.fill(r) if colour else NO_DATA_COLOUR
        tip[r.area_code] = tooltip(r, measure_name) if colour else tip.get(r.area_code, "")
    return {"fill": fill, "tip": tip, "focus": focus, "drill": drill or {}}


def unit_radius(children: int | None, scale: float = 1.0) -> float:
    """Circle radius in pixels, its area growing with the number of children (a small dot if
    unknown); `scale` shrinks the points where they sit over coloured areas."""
    if not children:
        return round(3.0 * scale, 1)
    return round((2.5 + 0.4 * math.sqrt(children)) * scale, 1)


def unit_hideout(
    results: Sequence[AreaResult],
    colour: Colouring,
    measure_name: str,
    children: dict[str, int | None],
    scale: float = 1.0,
) -> dict:
    """What the unit style functions read: fill, radius and tooltip per shown unit."""
    return {
        "fill": {r.area_code: colour.fill(r) for r in results},
        "radius": {r.area_code: unit_radius(children.get(r.area_code), scale) for r in results},
        "tip": {r.area_code: tooltip(r, measure_name) for r in results},
    }


# The table beside the map ------------------------------------------------------------------------


COMPARISON_ORDER = ["better", "higher", "similar", "lower", "worse", "not compared", ""]


def _sort_value(result: AreaResult, key: str):
    if key == "name":
        return (0, result.area_name.lower())
    if key == "comparison":
        known = result.comparison if result.comparison in COMPARISON_ORDER else ""
        return (1 if result.suppressed else 0, COMPARISON_ORDER.index(known))
    value = {"value": result.value, "numerator": result.numerator,
             "denominator": result.denominator}[key]  # fmt: skip
    return (1, 0) if value is None or result.suppressed else (0, value)


def sorted_results(results: Sequence[AreaResult], sort: str) -> list[AreaResult]:
    """Rows in the order asked for; withheld and empty values last either way."""
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    by_name = sorted(results, key=lambda r: r.area_name.lower())
    if key == "name":
        return by_name[::-1] if descending else by_name
    present = [r for r in by_name if _sort_value(r, key)[0] == 0]
    missing = [r for r in by_name if _sort_value(r, key)[0] != 0]
    present.sort(key=lambda r: _sort_value(r, key)[1], reverse=descending)
    return present + missing


@dataclass(frozen=True)
class TableRow:
    code: str
    name: str
    value: str
    numerator: str
    denominator: str
    interval: str
    comparison: str
    incomplete: str
    drill_query: str  # "" when the area has nothing below it on the map
    page_url: str = ""  # the area's own page, where it has one
    not_shown: str = ""  # why its value is not shown ("" when it is)
    comparison_key: str = ""  # the palette's key, for the mark beside the words


def table_rows(
    results: Sequence[AreaResult],
    state: MapState,
    page_url: Callable[[AreaResult], str] | None = None,
) -> list[TableRow]:
    rows = []
    for r in sorted_results(results, state.sort):
        target = drill_target(state, r.level, r.area_code)
        reason = not_shown_reason(r) if r.release_id is not None else ""
        rows.append(
            TableRow(
                code=r.area_code,
                name=short_name(r.area_name),
                value=(
                    "Not collected"
                    if r.not_collected
                    else format_number(r.value, r.unit, suppressed=r.suppressed)
                ),
                numerator=format_count(r.numerator, r.numerator_suppressed),
                denominator=format_count(r.denominator, r.denominator_suppressed),
                interval=SUPPRESSED if r.suppressed else format_interval(r.ci95),
                comparison=f"Not shown: {reason}" if r.suppressed else comparison_short(r),
                incomplete="" if r.incomplete is None else f"{r.incomplete:,}",
                drill_query=target.query() if target else "",
                page_url=page_url(r) if page_url else "",
                not_shown=reason,
                comparison_key=comparison_key(r),
            )
        )
    return rows


def sort_queries(state: MapState) -> dict[str, tuple[str, str]]:
    """Per sortable column: the query its heading links to and its aria-sort value."""
    current, descending = state.sort.removeprefix("-"), state.sort.startswith("-")
    result = {}
    for key in ("name", "value", "numerator", "denominator", "comparison"):
        aria = ("descending" if descending else "ascending") if key == current else "none"
        result[key] = (sort_link(state, key).query(), aria)
    return result


COLUMNS = (
    ("name", "Area"),
    ("value", "Value"),
    ("numerator", "n"),
    ("denominator", "N"),
    (None, "95% CI"),
    ("comparison", "Compared with England and Wales"),
)


def _link(label: str, query: str, title: str) -> str:
    return (
        f'<a href="{html.escape(query)}" data-state="1" title="{html.escape(title)}">'
        f"{html.escape(label)}</a>"
    )


def table_html(
    rows: Sequence[TableRow],
    sort_queries: dict[str, tuple[str, str]],
    caption: str,
    unit: str,
    *,
    live: bool = False,
) -> str:
    """The sortable table beside the map (its text alternative), as escaped HTML: headings
    link to the sorted view, area names to the view of the areas within them."""
    head = []
    for key, label in COLUMNS:
        if key is None:
            head.append(f'<th scope="col">{label}</th>')
            continue
        label = f"Value ({unit})" if key == "value" and unit else label
        query, aria = sort_queries[key]
        head.append(
            f'<th scope="col" aria-sort="{aria}">{_link(label, query, f"Sort by {label}")}</th>'
        )
    if live:
        head.append('<th scope="col" class="incomplete">Incomplete</th>')
    pages = any(row.page_url for row in rows)
    if pages:
        head.append('<th scope="col">Details</th>')
    body = []
    for row in rows:
        name = (
            _link(row.name, row.drill_query, f"Show the areas in {row.name}")
            if row.drill_query
            else html.escape(row.name)
        )
        cells = [f'<th scope="row">{name}</th>']
        cells += [
            f'<td class="num">{html.escape(text)}</td>'
            for text in (row.value, row.numerator, row.denominator, row.interval)
        ]
        mark = palette.table_mark_html(row.comparison_key)
        cells.append(f"<td>{mark}{html.escape(row.comparison)}</td>")
        if live:
            cells.append(f'<td class="num">{html.escape(row.incomplete)}</td>')
        if pages:
            link = (
                f'<a href="{html.escape(row.page_url)}" aria-label="All measures for '
                f'{html.escape(row.name)}">All measures</a>'
                if row.page_url
                else ""
            )
            cells.append(f"<td>{link}</td>")
        body.append(f'<tr data-code="{html.escape(row.code)}">{"".join(cells)}</tr>')
    if not rows:
        body.append(f'<tr><td colspan="{len(head)}">No results for this choice.</td></tr>')
    return (
        f'<table class="results" id="results-table"><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )
