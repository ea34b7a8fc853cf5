"""Pure builders of the map explorer: classes, colours, legend, tooltips, hideout and table."""

import numpy as np
import pytest

from aggregation.selectors import AreaResult
from dashboards import map_figures as fig
from dashboards.map_state import MapState


def result(code="E54000001", value=50.0, **fields) -> AreaResult:
    values = dict(
        release_id=1, level="icb", area_code=code, area_name=f"Area {code}", parent_level="region",
        parent_code="E40000006", measure="41", breakdown="", category="", numerator=20,
        numerator_suppressed=False, denominator=40, denominator_suppressed=False, value=value,
        unit="%", value_note="", suppression_reason="", ci95=(35.2, 64.8), ci998=(27.0, 73.0),
        comparison="similar", comparison_5="similar",
    )  # fmt: skip
    values.update(fields)
    return AreaResult(**values)


WITHHELD = dict(
    numerator=None, numerator_suppressed=True, value=None, ci95=None,
    suppression_reason="primary_small_count", value_note="suppressed – small number",
    comparison="not compared",
)  # fmt: skip


def test_class_bounds_are_quintiles():
    values = [1, 2, 3, 10, 11, 12, 30, 31, 50, 51, 52, 90, 91, 92]
    bounds = fig.class_bounds(values)
    # Linear interpolation at positions 13 x 0.2, 0.4 ...: 3 + 0.6 x 7, 12 + 0.2 x 18, ...
    assert bounds == (7.2, 15.6, 46.2, 67.2, 92.0)
    assert [fig.value_class(v, bounds) for v in (1, 7.2, 7.3, 52, 92)] == [0, 0, 1, 3, 4]


def test_few_distinct_values_get_a_class_each_and_missing_values_none():
    assert fig.class_bounds([5.0, None, 5.0, 7.0, float("nan")]) == (5.0, 7.0)
    assert fig.class_bounds([None]) == ()


def test_a_value_beyond_the_areas_range_takes_the_end_class():
    assert fig.value_class(1000.0, (1.0, 2.0, 3.0)) == 2


def test_comparison_colouring_and_withheld_values():
    colour = fig.colouring("comparison", [], "%")
    assert colour.fill(result(comparison="better")) == fig.COMPARISON_COLOURS["better"]
    assert colour.fill(result(comparison="worse")) == fig.COMPARISON_COLOURS["worse"]
    assert colour.fill(result(**WITHHELD)) == fig.WITHHELD_COLOUR


def test_value_colouring_ignores_withheld_rows_when_classifying():
    rows = [result(str(i), float(v)) for i, v in enumerate(np.linspace(10, 90, 20))]
    colour = fig.colouring("value", [*rows, result("x", **WITHHELD)], "%")
    assert len(colour.upper_bounds) == 5
    assert colour.fill(rows[0]) == fig.VALUE_COLOURS[0]
    assert colour.fill(rows[-1]) == fig.VALUE_COLOURS[-1]


def test_legend_uses_words_and_counts_areas():
    rows = [result("a", comparison="better"), result("b", comparison="better"),
            result("c", comparison="worse"), result("d", **WITHHELD)]  # fmt: skip
    items = fig.legend(fig.colouring("comparison", rows, "%"), rows)
    assert [i.label for i in items] == [
        "Better than England and Wales (2)",
        "Worse than England and Wales (1)",
        "Value withheld (disclosure control) (1)",
    ]


def test_value_legend_names_each_class_range_with_its_unit():
    rows = [result(str(v), float(v), unit="mmol/mol") for v in (50, 55, 60, 65, 70, 75)]
    items = fig.legend(fig.colouring("value", rows, "mmol/mol"), rows)
    assert items[0].label == "up to 55.0 mmol/mol (2)"
    assert items[1].label == "over 55.0 mmol/mol to 60.0 mmol/mol (1)"
    assert len(items) == 5


def test_legend_title_states_the_polarity():
    title = fig.legend_title("Mean HbA1c", "mmol/mol", "down", "value")
    assert title == (
        "Mean HbA1c (mmol/mol), value: lighter is lower, darker is higher; lower is better"
    )
    title = fig.legend_title("Coeliac screen", "%", "up", "comparison")
    assert title == "Coeliac screen (%), compared with England and Wales: higher is better"


def test_tooltip_shows_value_n_of_n_interval_and_comparison_escaped():
    text = fig.tooltip(result(area_name="A & <B>", comparison="better"), "Coeliac screen")
    assert text.split("<br>") == [
        "<strong>A &amp; &lt;B&gt;</strong>",
        "Coeliac screen: 50.0%",
        "n of N: 20 of 40",
        "95% CI: 35.2 to 64.8",
        "Better than England and Wales",
    ]


def test_tooltip_of_a_withheld_value_gives_the_reason_and_no_number():
    text = fig.tooltip(result(**WITHHELD), "Coeliac screen")
    assert "Coeliac screen: * (withheld: a count of 1 to 7)" in text
    assert "n of N: * of 40" in text and "CI" not in text and "50.0" not in text


def test_area_hideout_fills_every_area_and_outlines_the_focus():
    rows = [result("E54000001", comparison="worse")]
    hideout = fig.area_hideout(
        rows, fig.colouring("comparison", rows, "%"), "Coeliac screen", focus="E54000001",
        names={"E54000001": "One", "E54000002": "Two"}, drill={"E54000001": "?level=pdu"},
    )  # fmt: skip
    assert hideout["fill"] == {
        "E54000001": fig.COMPARISON_COLOURS["worse"], "E54000002": fig.OUTSIDE_COLOUR,
    }  # fmt: skip
    assert hideout["tip"]["E54000002"] == "<strong>Two</strong>"
    assert hideout["focus"] == "E54000001" and hideout["drill"] == {"E54000001": "?level=pdu"}


def test_unit_points_grow_with_the_number_of_children():
    radii = [fig.unit_radius(n) for n in (None, 10, 100, 1000)]
    assert radii == sorted(radii) and radii[0] == 3.0
    assert fig.unit_radius(100, scale=0.5) == pytest.approx(fig.unit_radius(100) / 2, abs=0.1)


def test_table_sorts_with_withheld_rows_last_either_way():
    rows = [
        result("a", 30.0, area_name="Alpha"),
        result("b", 70.0, area_name="Beta"),
        result("c", area_name="Gamma", **WITHHELD),
        result("d", 50.0, area_name="Delta"),
    ]
    by = {s: [r.name for r in fig.table_rows(rows, MapState(sort=s))] for s in ("value", "-value")}
    assert by["value"] == ["Alpha", "Delta", "Beta", "Gamma"]
    assert by["-value"] == ["Beta", "Delta", "Alpha", "Gamma"]
    names = [r.name for r in fig.table_rows(rows, MapState(sort="-name"))]
    assert names == ["Gamma", "Delta", "Beta", "Alpha"]


def test_table_cells_are_text_with_suppression_symbols():
    rows = fig.table_rows([result(**WITHHELD, area_name="NHS Devon Integrated Care Board")],
                          MapState(level="icb"))  # fmt: skip
    row = rows[0]
    assert row.name == "NHS Devon ICB"
    assert (row.value, row.numerator, row.denominator, row.interval) == ("*", "*", "40", "*")
    assert row.comparison == "Not shown: a count of 1 to 7"  # why, in words
    assert row.not_shown == "a count of 1 to 7"
    assert row.drill_query == "?level=pdu&area=E54000001"


def test_why_a_value_is_not_shown_in_words():
    few = result(measure="44", **WITHHELD)  # a mean of 1-7 children
    secondary = result(measure="25", **{**WITHHELD, "suppression_reason": "secondary"})
    empty = result(measure="25", value=None, denominator=0)
    assert fig.not_shown_reason(few) == "fewer than 8 children"
    assert fig.not_shown_reason(result(**WITHHELD)) == "a count of 1 to 7"
    assert fig.not_shown_reason(secondary) == "hidden to protect another hidden count"
    assert fig.not_shown_reason(empty) == "no children in the measure"
    assert fig.not_shown_reason(result()) == ""
    assert fig.not_shown_sentence(few) == (
        "its value is withheld to protect confidentiality, because fewer than 8 children "
        "contribute to it"
    )
    assert fig.not_shown_sentence(empty) == "it has no children in this measure"
    units = [few, result(measure="44", **WITHHELD), result()]
    assert fig.not_shown_text(units, "unit") == "2 units not shown: fewer than 8 children."
    assert fig.not_shown_text([few, secondary, empty, result()], "unit") == (
        "3 units not shown: 1 fewer than 8 children; 1 hidden to protect another hidden count; "
        "1 no children in the measure."
    )
    assert fig.not_shown_text([result(), result()], "area") == "All 2 areas shown."


@pytest.mark.parametrize(
    ("measure", "polarity", "order", "heading"),
    [("44", "down", ["Low", "Mid", "High", "Hidden"], "Rank (1 = best)"),
     ("32.1", "up", ["High", "Mid", "Low", "Hidden"], "Rank (1 = best)"),
     ("1", "n/a", ["High", "Mid", "Low", "Hidden"], "Rank (1 = largest)")],
)  # fmt: skip
def test_ranks_follow_polarity_and_leave_out_values_not_shown(measure, polarity, order, heading):
    results = [
        result("a", 50.0, measure=measure, area_name="Low"),
        result("b", 70.0, measure=measure, area_name="High"),
        result("c", measure=measure, area_name="Hidden", **WITHHELD),
        result("d", 60.0, measure=measure, area_name="Mid"),
    ]
    state = MapState(level="pdu", measure=measure, sort=fig.best_first_sort(polarity))
    ranks = fig.ranked(fig.table_rows(results, state))
    assert [row.name for _, row in ranks] == order
    assert [rank for rank, _ in ranks] == [1, 2, 3, None]  # rank 1 the best; none for *
    assert fig.RANK_WORDS[polarity][0] == heading


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(57.64, "mmol/mol", "57.6 mmol/mol"), (12.0, "%", "12.0%"), (1234.0, "children", "1,234"),
     (None, "%", "–"), (3.25, "per 100 children", "3.2 per 100 children")],
)  # fmt: skip
def test_values_are_shown_to_one_decimal_place_with_their_unit(value, unit, text):
    assert fig.format_value(value, unit) == text


def test_sort_headings_say_which_column_is_sorted():
    queries = fig.sort_queries(MapState(sort="-value"))
    assert queries["value"] == ("?sort=value", "descending")
    assert queries["name"] == ("?sort=-name", "none") or queries["name"][1] == "none"


def test_table_html_is_escaped_with_sort_state_and_drill_links():
    state = MapState(level="region", sort="-value")
    rows = fig.table_rows([result("E40000007", 62.5, level="region", area_name="East <&> West")],
                          state)  # fmt: skip
    text = fig.table_html(rows, fig.sort_queries(state), "Caption & more", "%")
    assert "<caption>Caption &amp; more</caption>" in text
    assert '<th scope="col" aria-sort="descending"><a href="?level=region&amp;sort=value"' in text
    assert 'data-state="1" title="Show the areas in East &lt;&amp;&gt; West">East &lt;&amp;' in text
    assert 'href="?area=E40000007"' in text  # a region opens its ICBs (the default level)
    assert '<td class="num">62.5</td>' in text and "Incomplete" not in text
    live = fig.table_html(rows, fig.sort_queries(state), "", "%", live=True)
    assert '<th scope="col" class="incomplete">Incomplete</th>' in live


def test_an_empty_table_says_so():
    text = fig.table_html([], fig.sort_queries(MapState()), "Nothing", "%")
    assert '<td colspan="6">No results for this choice.</td>' in text


def test_counts_shown_over_p1_are_published_as_percentages():
    from aggregation.figures import value_unit

    assert [value_unit(n) for n in ("1", "9", "10", "12", "25", "44", "46")] == [
        "children", "children", "%", "%", "%", "mmol/mol", "per 100 children",
    ]  # fmt: skip


def test_a_measure_not_collected_says_so_instead_of_a_map():
    from dashboards.map_data import _colouring

    not_collected = dict(
        measure="21", numerator=None, denominator=None, value=None, ci95=None, ci998=None,
        comparison="", comparison_5="", value_note="not collected from 2026–27",
    )  # fmt: skip
    results = [result(code, **not_collected) for code in ("E54000001", "E54000002")]
    _, notes = _colouring(MapState(measure="21"), results)
    assert notes == [
        "Flash glucose monitor: not collected from 2026–27, so there is nothing to map for this "
        "year."
    ]
    assert fig.table_rows(results, MapState(measure="21"))[0].value == "Not collected"
    assert fig.comparison_short(results[0]) == "Not compared (not collected)"
    assert fig.tooltip_lines(results[0], "Flash")[1] == "Flash: not collected from 2026–27"
