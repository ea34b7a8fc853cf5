"""Pure builders of the funnel and caterpillar plots (plotly figures) and their table.

Input is plain data (`FunnelPoint`s, the limit curves and the centre line from the read API's
`funnel`); classes are shown by marker shape and label as well as colour (§3.4).
"""

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from . import palette
from .map_figures import format_interval, format_number, short_name
from .plot_style import figure

# Each point's mark (ADR 0025): shape by class (circle within, diamond alert, square alarm),
# colour by direction (a negative outlier in the worse colour, a positive one in the better
# colour), and both in words in the legend, hover and table: never colour alone.
CLASS_ORDER = ("within", "alert", "alarm")
HIGHLIGHT = palette.INK
LIMIT_COLOUR = palette.GOVUK_DARK_GREY
CENTRE_COLOUR = palette.INK  # England and Wales: the reference every point is judged against
X_LABELS = {
    "proportion": "Children in the measure (N)",
    "check_proportion": "Health checks expected",
    "mean": "Children with type 1 diabetes with an HbA1c",
    "events": "Children in the unit",
}


@dataclass(frozen=True)
class FunnelPoint:
    code: str
    name: str
    n: int
    value: float
    ci95: tuple[float, float] | None
    klass: str  # within | alert | alarm
    direction: str  # positive | negative | ""
    count_hidden: bool = False  # n is hidden (SDC-2): plotted at n rounded, never labelled


def n_text(point: FunnelPoint) -> str:
    return "*" if point.count_hidden else f"{point.n:,}"


def class_words(point: FunnelPoint) -> str:
    """ "Alarm, negative (beyond 99.8%)"."""
    return palette.outlier_words(point.klass, point.direction)


def mark(point: FunnelPoint) -> tuple[str, str]:
    """The point's marker symbol and colour."""
    return palette.CLASS_SHAPES.get(point.klass, "circle"), palette.outlier_colour(
        point.klass, point.direction
    )


def _hover(point: FunnelPoint, unit: str) -> str:
    return "<br>".join(
        [
            f"<b>{html.escape(point.name)}</b> ({point.code})",
            f"n: {n_text(point)}"
            + (" (hidden; plotted near its size)" if point.count_hidden else ""),
            f"Value: {format_number(point.value, unit)} {html.escape(unit)}",
            f"95% CI: {format_interval(point.ci95)}",
            class_words(point),
        ]
    )


def _figure(traces: list[dict], title: str, x_title: str, yaxis: dict, **layout) -> dict:
    return figure(
        traces, title, height=520, margin={"l": 70, "r": 20, "t": 60, "b": 60},
        legend={"orientation": "h", "y": -0.18}, xaxis={"title": {"text": x_title}},
        yaxis=yaxis, **layout,
    )  # fmt: skip


def _scatter(**fields) -> dict:
    return {"type": "scatter", **fields}


# Label placement: the plotting area's size in pixels (a 520 px figure in half a page) and a
# 10 px font's character width, to keep labels apart without a browser to measure them.
PLOT_WIDTH, PLOT_HEIGHT, CHAR_WIDTH, LABEL_HEIGHT = 480.0, 400.0, 6.0, 12.0
# Where a label may sit around its marker: plotly's textposition and the label centre's offset
# in label widths and heights.
PLACES = (("top center", 0.0, 1.0), ("bottom center", 0.0, -1.0), ("middle right", 0.5, 0.0),
          ("middle left", -0.5, 0.0), ("top right", 0.5, 1.0), ("top left", -0.5, 1.0),
          ("bottom right", 0.5, -1.0), ("bottom left", -0.5, -1.0))  # fmt: skip


def label_places(
    labels: Sequence[tuple[float, float, str]],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    taken: Sequence[tuple[float, float, str]] = (),
) -> list[str | None]:
    """A textposition for each (x, y, text) label, the first place around its marker inside the
    plot where it overlaps no label placed before it (`taken` are placed first, below their
    markers), or
    None where every place is taken: that label is left off (hover and the table name it)."""

    def box(x: float, y: float, text: str, dx: float, dy: float) -> tuple[float, ...]:
        px = (x - x_range[0]) / ((x_range[1] - x_range[0]) or 1) * PLOT_WIDTH
        py = (y - y_range[0]) / ((y_range[1] - y_range[0]) or 1) * PLOT_HEIGHT
        width = CHAR_WIDTH * len(text) + 4
        cx, cy = px + dx * (width + 10), py + dy * (LABEL_HEIGHT + 4)
        return cx - width / 2, cy - LABEL_HEIGHT / 2, cx + width / 2, cy + LABEL_HEIGHT / 2

    def clear(b: tuple[float, ...]) -> bool:
        inside = b[0] >= 0 and b[2] <= PLOT_WIDTH and b[1] >= 0 and b[3] <= PLOT_HEIGHT
        return inside and all(
            b[2] <= o[0] or o[2] <= b[0] or b[3] <= o[1] or o[3] <= b[1] for o in placed
        )

    placed = [box(x, y, text, 0.0, -1.0) for x, y, text in taken]
    places: list[str | None] = []
    for x, y, text in labels:
        for name, dx, dy in PLACES:
            candidate = box(x, y, text, dx, dy)
            if clear(candidate):
                placed.append(candidate)
                places.append(name)
                break
        else:
            places.append(None)
    return places


CURVE_POINTS = 400


def curve_points(count: int, most: int = CURVE_POINTS) -> list[int]:
    """Which of a limit curve's points to draw: all of a short curve, else about `most` spread
    evenly on a log scale of n (the curves bend at small n and are nearly flat at large n), the
    last always kept. A curve drawn at every n of a large unit was thousands of points (100s of
    kilobytes in the page) for the same line."""
    if count <= most:
        return list(range(count))
    spread = np.unique(np.round(np.geomspace(1, count, most)).astype(int) - 1)
    return sorted({*spread.tolist(), count - 1})


def funnel_figure(
    points: Sequence[FunnelPoint],
    curves: dict[str, list[float]],
    target: float | None,
    *,
    unit: str,
    kind: str,
    title: str,
    highlight: str = "",
) -> dict:
    """Units by size (x) and value (y) within the 95% and 99.8% limits around the England and
    Wales value; alert and alarm units labelled where their labels do not overlap (alarms
    first), the chosen unit ringed and named."""
    traces = []
    n = curves.get("n", [])
    kept = curve_points(len(n))
    for level, dash, width in (("998", "solid", 1.1), ("95", "dash", 1.0)):
        for side in ("lower", "upper"):
            ys = curves.get(f"funnel_{side}_{level}", [])
            traces.append(
                _scatter(
                    x=[n[i] for i in kept], y=[ys[i] for i in kept if i < len(ys)], mode="lines",
                    line={"color": LIMIT_COLOUR, "dash": dash, "width": width},
                    name=f"{'99.8' if level == '998' else '95'}% limits",
                    legendgroup=level, showlegend=side == "lower", hoverinfo="skip",
                )
            )  # fmt: skip
    if target is not None and n:
        traces.append(
            _scatter(
                x=[n[0], n[-1]], y=[target, target], mode="lines",
                line={"color": CENTRE_COLOUR, "width": 2.2}, name="England and Wales",
                hoverinfo="skip",
            )
        )  # fmt: skip
    chosen = next((p for p in points if p.code == highlight), None)
    y_span = value_range([p.value for p in points] + ([target] if target is not None else []), unit)
    flagged = sorted(
        (p for p in points if p.klass in ("alarm", "alert") and p is not chosen),
        key=lambda p: (p.klass != "alarm", p.code),
    )  # alarms placed first
    places = dict(zip(
        (p.code for p in flagged),
        label_places([(p.n, p.value, short_name(p.name)) for p in flagged],
                     (0, max(n or [1])), tuple(y_span or (0, 100)),
                     [(chosen.n, chosen.value, chosen.name)] if chosen else []),
        strict=True,
    ))  # fmt: skip
    for klass in CLASS_ORDER:  # one trace per class and direction, named in words
        for direction in sorted({p.direction for p in points if p.klass == klass}):
            group = [p for p in points if p.klass == klass and p.direction == direction]
            traces.append(_class_trace(group, places, unit))
    if chosen is not None:
        traces.append(
            _scatter(
                x=[chosen.n], y=[chosen.value], mode="markers+text", text=[chosen.name],
                textposition="bottom center", textfont={"size": 12, "color": HIGHLIGHT},
                marker={"symbol": "circle-open", "size": 18, "color": HIGHLIGHT,
                        "line": {"width": 3}},
                name=f"{chosen.name} (chosen)", hovertext=[_hover(chosen, unit)],
                hoverinfo="text",
            )
        )  # fmt: skip
    y_axis = {"title": {"text": f"Value ({unit})"}}
    if y_span:
        y_axis["range"] = y_span  # the units, not the limits' tails at n = 1
    return _figure(traces, title, X_LABELS.get(kind, "n"), y_axis)


def _class_trace(group: list[FunnelPoint], places: dict[str, str | None], unit: str) -> dict:
    """The points of one class and direction; alerts and alarms labelled where room allows."""
    symbol, colour = mark(group[0])
    labelled = group[0].klass != "within"
    return _scatter(
        x=[p.n for p in group], y=[p.value for p in group],
        mode="markers+text" if labelled else "markers",
        text=[short_name(p.name) if places.get(p.code) else "" for p in group]
        if labelled else None,
        textposition=[places.get(p.code) or "top center" for p in group] if labelled else None,
        textfont={"size": 10},
        marker={"symbol": symbol, "color": colour, "size": 9 if labelled else 7,
                "line": {"color": "white", "width": 0.5}},
        name=f"{class_words(group[0])} ({len(group)})",
        hovertext=[_hover(p, unit) for p in group], hoverinfo="text",
    )  # fmt: skip


def value_range(values: Sequence[float], unit: str) -> list[float] | None:
    """The y-axis range that shows every value with a margin (percentages kept in 0-100)."""
    if not values:
        return None
    low, high = min(values), max(values)
    pad = max((high - low) * 0.12, 1.0)
    low, high = low - pad, high + pad
    if unit.startswith("%"):
        low, high = max(low, 0.0), min(high, 100.0 + pad / 2)
    return [low, high]


RANK_AXIS = {
    "up": "Rank: 1 is the best (higher is better)",
    "down": "Rank: 1 is the best (lower is better)",
    "none": "Rank: 1 is the highest (neither higher nor lower is better)",
}


def ranked_best_first(points: Sequence[FunnelPoint], polarity: str) -> list[FunnelPoint]:
    """Rank 1 first: the lowest value where lower is better, else the highest (ties by name)."""
    sign = 1 if polarity == "down" else -1
    return sorted(points, key=lambda p: (sign * p.value, p.name))


def caterpillar_figure(
    points: Sequence[FunnelPoint],
    target: float | None,
    *,
    unit: str,
    title: str,
    polarity: str,
    highlight: str = "",
) -> dict:
    """Units ranked with their 95% confidence intervals, rank 1 the best (polarity), England and
    Wales as a line."""
    ranked = ranked_best_first(points, polarity)
    low = [p.value - p.ci95[0] if p.ci95 else 0 for p in ranked]
    high = [p.ci95[1] - p.value if p.ci95 else 0 for p in ranked]
    traces = [
        _scatter(
            x=list(range(1, len(ranked) + 1)), y=[p.value for p in ranked], mode="markers",
            error_y={"type": "data", "array": high, "arrayminus": low,
                     "color": palette.GOVUK_MID_GREY, "thickness": 1, "width": 0},
            marker={"color": [mark(p)[1] for p in ranked], "symbol": [mark(p)[0] for p in ranked],
                    "size": 6},
            hovertext=[_hover(p, unit) for p in ranked], hoverinfo="text", name="Units",
        )
    ]  # fmt: skip
    shapes, annotations = [], []
    if target is not None and ranked:
        shapes.append(
            {
                "type": "line",
                "xref": "x domain",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": target,
                "y1": target,
                "line": {"color": CENTRE_COLOUR, "width": 1.4},
            }
        )
        annotations.append({"text": "England and Wales", "xref": "x domain", "x": 0,
                            "xanchor": "left", "yref": "y", "y": target, "yanchor": "bottom",
                            "showarrow": False})  # fmt: skip
    for rank, point in enumerate(ranked, 1):
        if point.code == highlight:
            annotations.append(
                {
                    "x": rank,
                    "y": point.value,
                    "text": point.name,
                    "showarrow": True,
                    "arrowhead": 2,
                    "ax": 0,
                    "ay": -40,
                }
            )
    return _figure(
        traces, title, RANK_AXIS.get(polarity, RANK_AXIS["none"]),
        {"title": {"text": f"Value ({unit})"}}, showlegend=False, shapes=shapes,
        annotations=annotations,
    )  # fmt: skip


@dataclass(frozen=True)
class NotShown:
    """A unit of the release that has no point on the plot, and why in a few words."""

    code: str
    name: str
    reason: str


def not_shown_table_html(
    units: Sequence[NotShown], page_url: Callable[[str], str] | None = None
) -> str:
    """The units not on the plots, by name, with the reason: no unit silently disappears."""
    if not units:
        return ""
    body = []
    for unit in sorted(units, key=lambda u: u.name):
        name = html.escape(unit.name)
        if page_url:
            name = f'<a href="{html.escape(page_url(unit.code))}">{name}</a>'
        body.append(
            f'<tr data-code="{html.escape(unit.code)}"><th scope="row">{name}</th>'
            f"<td>{html.escape(unit.reason)}</td></tr>"
        )
    count = len(units)
    caption = f"{count} unit{'' if count == 1 else 's'} not shown on the plots"
    return (
        f'<table class="results" id="funnel-not-shown-units"><caption>{caption}</caption>'
        '<thead><tr><th scope="col">Unit</th><th scope="col">Why not shown</th></tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def units_table_html(
    points: Sequence[FunnelPoint],
    unit: str,
    caption: str,
    highlight: str,
    page_url: Callable[[str], str] | None = None,
) -> str:
    """The plots' text alternative: every unit, largest first, with its class in words, each
    name linking to the unit's page where `page_url` gives one."""
    columns = (("Unit", ""), ("n", "num"), (f"Value ({html.escape(unit)})", "num"),
               ("95% CI", "num"), ("Funnel class", ""))  # fmt: skip
    head = "".join(f'<th scope="col" class="{css}">{label}</th>' for label, css in columns)
    body = []
    for p in sorted(points, key=lambda p: (-p.n, p.name)):
        chosen = ' class="chosen"' if p.code == highlight else ""
        name = html.escape(p.name)
        if page_url:
            name = f'<a href="{html.escape(page_url(p.code))}">{name}</a>'
        body.append(
            f'<tr data-code="{html.escape(p.code)}"{chosen}><th scope="row">'
            f'{name}</th><td class="num">{n_text(p)}</td>'
            f'<td class="num">{format_number(p.value, unit)}</td>'
            f'<td class="num">{format_interval(p.ci95)}</td><td>{class_words(p)}</td></tr>'
        )
    return (
        f'<table class="results" id="funnel-table"><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )
