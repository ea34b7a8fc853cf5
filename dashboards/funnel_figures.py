"""Pure builders of the funnel and caterpillar plots (plotly figures) and their table.

Input is plain data (`FunnelPoint`s, the limit curves and the centre line from the read API's
`funnel`); classes are shown by marker shape and label as well as colour (§3.4).
"""

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from .map_figures import format_interval, format_number, short_name

# Shape, colour and word of each class: colour-blind safe and never colour alone.
CLASSES = {
    "within": ("circle", "#8c8c8c", "Within limits"),
    "alert": ("diamond", "#e66101", "Alert (beyond 95%)"),
    "alarm": ("square", "#5e3c99", "Alarm (beyond 99.8%)"),
}
HIGHLIGHT = "#1d1d1b"
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


def class_words(point: FunnelPoint) -> str:
    words = CLASSES.get(point.klass, ("", "", "Not classed"))[2]
    return f"{words}, {point.direction}" if point.direction else words


def _hover(point: FunnelPoint, unit: str) -> str:
    return "<br>".join(
        [
            f"<b>{html.escape(point.name)}</b> ({point.code})",
            f"n: {point.n:,}",
            f"Value: {format_number(point.value, unit)} {html.escape(unit)}",
            f"95% CI: {format_interval(point.ci95)}",
            class_words(point),
        ]
    )


def _layout(figure: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    figure.update_layout(
        title={"text": html.escape(title), "x": 0, "font": {"size": 16}},
        xaxis_title=x_title,
        yaxis_title=y_title,
        template="simple_white",
        height=520,
        margin={"l": 70, "r": 20, "t": 60, "b": 60},
        legend={"orientation": "h", "y": -0.18},
        hoverlabel={"bgcolor": "white"},
    )
    return figure


def funnel_figure(
    points: Sequence[FunnelPoint],
    curves: dict[str, list[float]],
    target: float | None,
    *,
    unit: str,
    kind: str,
    title: str,
    highlight: str = "",
) -> go.Figure:
    """Units by size (x) and value (y) within the 95% and 99.8% limits around the England and
    Wales value; alert and alarm units labelled, the chosen unit ringed and named."""
    figure = go.Figure()
    n = curves.get("n", [])
    for level, dash, width in (("998", "solid", 1.6), ("95", "dash", 1.2)):
        for side in ("lower", "upper"):
            figure.add_trace(
                go.Scatter(
                    x=n, y=curves.get(f"funnel_{side}_{level}", []), mode="lines",
                    line={"color": "#4d4d4d", "dash": dash, "width": width},
                    name=f"{'99.8' if level == '998' else '95'}% limits",
                    legendgroup=level, showlegend=side == "lower", hoverinfo="skip",
                )
            )  # fmt: skip
    if target is not None and n:
        figure.add_trace(
            go.Scatter(
                x=[n[0], n[-1]], y=[target, target], mode="lines",
                line={"color": "#2166ac", "width": 1.4}, name="England and Wales",
                hoverinfo="skip",
            )
        )  # fmt: skip
    for klass, (symbol, colour, words) in CLASSES.items():
        group = [p for p in points if p.klass == klass]
        if not group:
            continue
        labelled = klass != "within"
        figure.add_trace(
            go.Scatter(
                x=[p.n for p in group], y=[p.value for p in group],
                mode="markers+text" if labelled else "markers",
                text=[short_name(p.name) for p in group] if labelled else None,
                textposition="top center", textfont={"size": 10},
                marker={"symbol": symbol, "color": colour, "size": 9 if labelled else 7,
                        "line": {"color": "white", "width": 0.5}},
                name=f"{words} ({len(group)})",
                hovertext=[_hover(p, unit) for p in group], hoverinfo="text",
            )
        )  # fmt: skip
    chosen = next((p for p in points if p.code == highlight), None)
    if chosen is not None:
        figure.add_trace(
            go.Scatter(
                x=[chosen.n], y=[chosen.value], mode="markers+text", text=[chosen.name],
                textposition="bottom center", textfont={"size": 12, "color": HIGHLIGHT},
                marker={"symbol": "circle-open", "size": 18, "color": HIGHLIGHT,
                        "line": {"width": 3}},
                name=f"{chosen.name} (chosen)", hovertext=[_hover(chosen, unit)],
                hoverinfo="text",
            )
        )  # fmt: skip
    figure = _layout(figure, title, X_LABELS.get(kind, "n"), f"Value ({unit})")
    span = value_range([p.value for p in points] + ([target] if target is not None else []), unit)
    if span:
        figure.update_yaxes(range=span)  # the units, not the limits' tails at n = 1
    return figure


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


def caterpillar_figure(
    points: Sequence[FunnelPoint],
    target: float | None,
    *,
    unit: str,
    title: str,
    highlight: str = "",
) -> go.Figure:
    """Units ranked by value with their 95% confidence intervals, England and Wales as a line."""
    ranked = sorted(points, key=lambda p: p.value)
    figure = go.Figure()
    low = [p.value - p.ci95[0] if p.ci95 else 0 for p in ranked]
    high = [p.ci95[1] - p.value if p.ci95 else 0 for p in ranked]
    figure.add_trace(
        go.Scatter(
            x=list(range(1, len(ranked) + 1)), y=[p.value for p in ranked], mode="markers",
            error_y={"type": "data", "array": high, "arrayminus": low, "color": "#9e9e9e",
                     "thickness": 1, "width": 0},
            marker={"color": [CLASSES.get(p.klass, CLASSES["within"])[1] for p in ranked],
                    "symbol": [CLASSES.get(p.klass, CLASSES["within"])[0] for p in ranked],
                    "size": 6},
            hovertext=[_hover(p, unit) for p in ranked], hoverinfo="text", name="Units",
        )
    )  # fmt: skip
    if target is not None and ranked:
        figure.add_hline(
            y=target, line={"color": "#2166ac", "width": 1.4},
            annotation_text="England and Wales", annotation_position="top left",
        )  # fmt: skip
    for rank, point in enumerate(ranked, 1):
        if point.code == highlight:
            figure.add_annotation(x=rank, y=point.value, text=point.name, showarrow=True,
                                  arrowhead=2, ax=0, ay=-40)  # fmt: skip
    figure = _layout(figure, title, "Units, ranked by value", f"Value ({unit})")
    figure.update_layout(showlegend=False)
    return figure


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
            f'{name}</th><td class="num">{p.n:,}</td>'
            f'<td class="num">{format_number(p.value, unit)}</td>'
            f'<td class="num">{format_interval(p.ci95)}</td><td>{class_words(p)}</td></tr>'
        )
    return (
        f'<table class="results" id="funnel-table"><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )
