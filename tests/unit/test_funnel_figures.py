"""Pure builders of the funnel and caterpillar plots, fed with limits from the stored
parameters as a release keeps them (benchmarking-methods.md §7 worked numbers)."""

import numpy as np
import plotly.graph_objects as go
import pytest

from aggregation.benchmarking import funnel_curves
from dashboards import funnel_figures as ff
from dashboards import palette

# §7.3: theta = 0.80, exact binomial limits, no overdispersion allowance.
PROPORTION = {"method": "exact binomial", "target": 0.80, "k": 50, "phi": 1.0, "tau2": 0.0,
              "overdispersed": False}  # fmt: skip
# §7.5: theta = 60.0, sigma = 12.0.
MEAN = {"method": "normal", "target": 60.0, "sigma": 12.0, "k": 50, "phi": 1.0, "tau2": 0.0,
        "overdispersed": False}  # fmt: skip


def funnel_figure(*args, **kwargs) -> go.Figure:
    """The builder's figure, validated by plotly (the builder itself skips validation)."""
    return go.Figure(ff.funnel_figure(*args, **kwargs))


def caterpillar_figure(*args, **kwargs) -> go.Figure:
    return go.Figure(ff.caterpillar_figure(*args, **kwargs))


def point(code, n, value, klass="within", direction="", ci=(1.0, 2.0), name=None):
    return ff.FunnelPoint(code, name or f"Unit {code}", n, value, ci, klass, direction)


def curves(kind, parameters, upto=100):
    n = np.arange(1, upto + 1)
    limits = funnel_curves(kind, parameters, n)
    target = float(limits.pop("target"))
    return {"n": n.tolist(), **{k: v.tolist() for k, v in limits.items()}}, target


def trace(figure, name_start):
    return [t for t in figure.data if (t.name or "").startswith(name_start)]


def test_the_funnel_draws_the_worked_binomial_limits_at_n_60():
    lines, target = curves("proportion", PROPORTION)
    figure = funnel_figure([point("A", 60, 80.0)], lines, target, unit="%",
                              kind="proportion", title="t")  # fmt: skip
    assert target == pytest.approx(80.0)
    at_60 = {}
    for t in trace(figure, "95% limits") + trace(figure, "99.8% limits"):
        at_60.setdefault(t.name, []).append(t.y[59])
    assert sorted(at_60["95% limits"]) == pytest.approx([68.57, 88.85], abs=0.01)
    assert sorted(at_60["99.8% limits"]) == pytest.approx([61.92, 93.36], abs=0.01)
    centre = trace(figure, "England and Wales")[0]
    assert list(centre.y) == [pytest.approx(80.0)] * 2


def test_the_funnel_draws_the_worked_mean_limits_at_n_50():
    lines, target = curves("mean", MEAN)
    figure = funnel_figure([], lines, target, unit="mmol/mol", kind="mean", title="t")
    values = sorted(t.y[49] for t in trace(figure, "95% limits"))
    assert values == pytest.approx([56.6738, 63.3262], abs=1e-3)
    values = sorted(t.y[49] for t in trace(figure, "99.8% limits"))
    assert values == pytest.approx([54.7557, 65.2443], abs=1e-3)


def test_classes_are_separate_traces_with_shapes_counts_and_labels():
    points = [point("A", 60, 60.0, "alarm", "negative"), point("B", 60, 66.7, "alert", "negative"),
              point("C", 60, 80.0), point("D", 60, 96.7, "alarm", "positive")]  # fmt: skip
    lines, target = curves("proportion", PROPORTION)
    figure = funnel_figure(points, lines, target, unit="%", kind="proportion", title="t")
    # One trace per class and direction, its direction in words and in the palette's colour.
    negative, positive = trace(figure, "Alarm, negative")[0], trace(figure, "Alarm, positive")[0]
    assert negative.name == "Alarm, negative (beyond 99.8%) (1)"
    assert positive.name == "Alarm, positive (beyond 99.8%) (1)"
    assert negative.marker.symbol == positive.marker.symbol == "square"
    assert trace(figure, "Alert, negative")[0].marker.symbol == "diamond"
    assert negative.marker.color == palette.COMPARISON_COLOURS["worse"]
    assert positive.marker.color == palette.COMPARISON_COLOURS["better"]
    assert list(negative.text) == ["Unit A"] and list(positive.text) == ["Unit D"]  # labelled
    within = trace(figure, "Within limits")[0]
    assert within.text is None and within.marker.color == palette.WITHIN_COLOUR  # the crowd
    assert "Alarm, negative (beyond 99.8%)" in negative.hovertext[0]
    assert "n: 60" in negative.hovertext[0] and "95% CI: 1.0 to 2.0" in negative.hovertext[0]


def test_the_chosen_unit_is_ringed_and_named():
    lines, target = curves("proportion", PROPORTION)
    figure = funnel_figure([point("A", 40, 75.0), point("B", 60, 80.0)], lines, target,
                              unit="%", kind="proportion", title="t", highlight="B")  # fmt: skip
    chosen = trace(figure, "Unit B (chosen)")[0]
    assert (chosen.x[0], chosen.y[0]) == (60, 80.0) and chosen.marker.symbol == "circle-open"
    assert not trace(funnel_figure([], lines, target, unit="%", kind="proportion",
                                      title="t", highlight="B"), "Unit B")  # fmt: skip


def test_the_caterpillar_ranks_units_best_first_with_their_intervals():
    points = [point("A", 10, 70.0, ci=(60.0, 78.0)), point("B", 10, 50.0, ci=(45.0, 55.0))]
    # Higher is better (a completion rate): rank 1 is the highest value.
    figure = caterpillar_figure(points, 60.0, unit="%", title="t", polarity="up", highlight="A")
    units = figure.data[0]
    assert list(units.y) == [70.0, 50.0] and list(units.x) == [1, 2]
    assert list(units.error_y.array) == [8.0, 5.0] and list(units.error_y.arrayminus) == [10.0, 5.0]
    assert figure.layout.annotations[-1].text == "Unit A"
    assert figure.layout.annotations[-1].x == 1  # the chosen unit, at its rank
    assert figure.layout.xaxis.title.text == "Rank: 1 is the best (higher is better)"


def test_where_lower_is_better_rank_1_is_the_lowest_value():
    points = [point("A", 10, 70.0), point("B", 10, 50.0), point("C", 10, 60.0)]
    figure = caterpillar_figure(points, 60.0, unit="mmol/mol", title="t", polarity="down")
    assert list(figure.data[0].y) == [50.0, 60.0, 70.0]
    assert figure.layout.xaxis.title.text == "Rank: 1 is the best (lower is better)"


def test_units_not_shown_are_listed_by_name_with_the_reason():
    units = [ff.NotShown("PZ002", "Norwich <Jenny Lind>", "fewer than 8 children"),
             ff.NotShown("PZ001", "Morriston", "no children in the measure")]  # fmt: skip
    text = ff.not_shown_table_html(units, lambda code: f"/units/{code}/")
    assert "<caption>2 units not shown on the plots</caption>" in text
    assert text.index("Morriston") < text.index("Norwich")  # by name
    assert (
        '<tr data-code="PZ002"><th scope="row"><a href="/units/PZ002/">Norwich &lt;Jenny '
        "Lind&gt;</a></th><td>fewer than 8 children</td></tr>"
    ) in text
    assert ff.not_shown_table_html([]) == ""


def test_a_point_whose_count_is_hidden_is_never_labelled_with_it():
    hidden = ff.FunnelPoint("PZ041", "Unit", 50, 60.4, (57.0, 63.8), "within", "", True)
    text = ff.units_table_html([hidden], "mmol/mol", "Caption", "")
    assert '<td class="num">*</td>' in text and ">50<" not in text
    lines, target = curves("mean", MEAN)
    figure = funnel_figure([hidden], lines, target, unit="mmol/mol", kind="mean", title="t")
    within = trace(figure, "Within")[0]
    assert list(within.x) == [50]  # plotted at the count rounded to 5, as published
    assert "n: * (hidden" in within.hovertext[0] and "n: 50" not in within.hovertext[0]


def test_the_table_lists_every_unit_largest_first_with_the_class_in_words():
    points = [point("A", 10, 70.0, "alert", "positive", name="A & B"), point("B", 90, 50.0)]
    text = ff.units_table_html(points, "%", "Caption", "A")
    assert text.index('data-code="B"') < text.index('data-code="A"')
    assert '<tr data-code="A" class="chosen"><th scope="row">A &amp; B</th>' in text
    assert "<td>Alert, positive (beyond 95%)</td>" in text


def test_the_y_axis_shows_the_units_not_the_limits_tails():
    assert ff.value_range([50.0, 90.0], "%") == pytest.approx([45.2, 94.8])
    assert ff.value_range([2.0, 99.5], "% of checks")[0] == 0.0  # never below 0 %
    assert ff.value_range([], "%") is None
    lines, target = curves("proportion", PROPORTION)
    figure = funnel_figure([point("A", 60, 70.0)], lines, target, unit="%",
                              kind="proportion", title="t")  # fmt: skip
    assert list(figure.layout.yaxis.range) == pytest.approx([68.8, 81.2])


def test_labels_take_the_first_free_place_around_their_marker():
    places = ff.label_places([(50, 50, "Alpha"), (50, 50, "Beta"), (90, 10, "Gamma")],
                             (0, 100), (0, 100))  # fmt: skip
    assert places == ["top center", "bottom center", "top center"]
    # The chosen unit's name sits below its marker: a label there goes above.
    assert ff.label_places([(50, 50, "Alpha")], (0, 100), (0, 100), [(50, 50, "Chosen")]) == [
        "top center"
    ]
    # Five labels on one marker: above, below, right and left, and the fifth is left off (the
    # corners overlap those four).
    crowd = ff.label_places([(50, 50, f"Unit {i}") for i in range(5)], (0, 100), (0, 100))
    assert crowd == ["top center", "bottom center", "middle right", "middle left", None]
    # Near the left edge a label goes to the right of its marker, not off the plot.
    assert ff.label_places([(1, 50, "A long unit name")], (0, 100), (0, 100)) == ["middle right"]


def test_overlapping_flagged_units_are_not_all_labelled():
    points = [point(c, 60, 95.0 + i * 0.01, "alert", "positive", name=f"Unit {c}")
              for i, c in enumerate("ABCDEFGHIJ")]  # fmt: skip
    lines, target = curves("proportion", PROPORTION)
    figure = funnel_figure(points, lines, target, unit="%", kind="proportion", title="t")
    alert = trace(figure, "Alert")[0]
    shown = [t for t in alert.text if t]
    assert 0 < len(shown) < 10  # some labels left off rather than drawn over each other
    assert len(alert.x) == 10  # every marker is still drawn
