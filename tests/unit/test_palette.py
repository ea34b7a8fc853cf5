"""One meaning of colour (ADR 0025): every figure builder takes its colours from the palette,
comparisons by polarity with their words, value scales that say which end is better, funnel
marks named negative or positive as well as shaped."""

import re
from pathlib import Path

import pytest

from dashboards import area_map, funnel_figures, palette
from dashboards import map_figures as fig
from dashboards import unit_figures as uf
from dashboards.map_state import MapState
from tests.unit.test_funnel_figures import PROPORTION, curves, point
from tests.unit.test_map_figures import WITHHELD, result

# The GOV.UK colour palette (design-system.service.gov.uk/styles/colour).
GOVUK = {"#d4351c", "#ffdd00", "#00703c", "#1d70b8", "#003078", "#5694ca", "#4c2c92",
         "#0b0c0c", "#505a5f", "#b1b4b6", "#f3f2f1", "#ffffff", "#6f72af", "#912b88",
         "#d53880", "#f499be", "#f47738", "#b58840", "#85994b", "#28a197"}  # fmt: skip
ROOT = Path(__file__).resolve().parents[2]


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_comparisons_use_govuk_colours_and_no_red_or_green_without_a_direction():
    assert set(palette.COMPARISON_COLOURS.values()) <= GOVUK
    assert palette.WITHHELD_COLOUR in GOVUK
    neutral = {palette.COMPARISON_COLOURS[k] for k in ("lower", "higher")}
    assert not neutral & {"#d4351c", "#00703c", "#85994b"}  # §3.4: no red or green


def test_better_and_worse_differ_in_lightness_as_well_as_hue():
    better, similar, worse = (palette.COMPARISON_COLOURS[k] for k in ("better", "similar",
                                                                       "worse"))  # fmt: skip
    # Marks that stand alone on white (spine dots, unit points) need 3:1 (WCAG 1.4.11).
    assert contrast(better, "#ffffff") >= 3 and contrast(worse, "#ffffff") >= 3
    # Similar is pale, so it reads apart from either without telling red from blue.
    assert contrast(similar, better) >= 3 and contrast(similar, worse) >= 3


def test_the_value_scale_runs_light_to_dark_and_uses_no_comparison_colour():
    lightness = [luminance(c) for c in palette.VALUE_COLOURS]
    assert lightness == sorted(lightness, reverse=True)
    assert not set(palette.VALUE_COLOURS) & set(palette.COMPARISON_COLOURS.values())


@pytest.mark.parametrize(
    ("polarity", "words"),
    [("up", "higher is better"), ("down", "lower is better"), ("none", "neither is better")],
)
def test_a_value_legend_says_which_end_is_better(polarity, words):
    title = fig.legend_title("A measure", "%", polarity, "value")
    assert "lighter is lower, darker is higher" in title and title.endswith(words)


def test_maps_fill_by_the_palette():
    colour = fig.colouring("comparison", [], "%")
    assert colour.fill(result(comparison="better")) == palette.COMPARISON_COLOURS["better"]
    assert colour.fill(result(comparison="higher")) == palette.COMPARISON_COLOURS["higher"]
    assert colour.fill(result(**WITHHELD)) == palette.WITHHELD_COLOUR
    values = fig.colouring("value", [result(value=v) for v in (1, 2, 3, 4, 5, 6)], "%")
    assert values.fill(result(value=6)) == palette.VALUE_COLOURS[-1]


def test_tables_put_the_mark_beside_the_words():
    rows = fig.table_rows([result(comparison="worse"), result("E54000002", **WITHHELD)],
                          MapState(level="icb", measure="41"))  # fmt: skip
    html = fig.table_html(rows, fig.sort_queries(MapState()), "Caption", "%")
    worse = palette.COMPARISON_COLOURS["worse"]
    assert f'<span class="mark" style="background:{worse}" aria-hidden="true"></span>Worse' in html
    grey = palette.WITHHELD_COLOUR
    assert f'style="background:{grey}" aria-hidden="true"></span>Not shown: a count' in html
    assert palette.table_mark_html("not compared") == palette.table_mark_html("") == ""


def test_spines_colour_the_dot_by_the_comparison():
    spread = {"n": 10, "min": 40.0, "q1": 45.0, "q3": 55.0, "max": 60.0}
    for comparison in ("better", "similar", "worse", "lower", "higher"):
        shape = uf.spine(result(comparison=comparison), 50.0, spread, "up")
        assert shape.colour == palette.COMPARISON_COLOURS[comparison]
    assert uf.spine(result(**WITHHELD), 50.0, spread, "up").colour == palette.WITHHELD_COLOUR


def test_reference_lines_and_shapes_carry_no_comparison_colour():
    """England and Wales on trends and funnels, and an area's own outline, are neutral: blue
    means better everywhere, so it is nowhere else."""
    meaning = set(palette.COMPARISON_COLOURS.values()) - {"#ffffff"}
    rows = uf.trend_rows([], [])
    trend = uf.trend_figure(rows, title="t", unit="%", name="Unit")
    assert trend["data"][0]["line"]["color"] not in meaning
    lines, target = curves("proportion", PROPORTION)
    funnel = funnel_figures.funnel_figure([point("A", 50, 50.0)], lines, target, unit="%",
                                          kind="proportion", title="t")  # fmt: skip
    for trace in funnel["data"]:
        if trace.get("mode") == "lines":
            assert trace["line"]["color"] not in meaning, trace["name"]
    assert not set(re.findall(r"#[0-9a-f]{6}", area_map.AREA_STYLE)) & meaning


@pytest.mark.parametrize(
    ("klass", "direction", "comparison", "shape", "words"),
    [
        ("alarm", "negative", "worse", "square", "Alarm, negative (beyond 99.8%)"),
        ("alert", "positive", "better", "diamond", "Alert, positive (beyond 95%)"),
        ("alert", "high", "higher", "diamond", "Alert, high (beyond 95%)"),
    ],
)
def test_funnel_marks_say_negative_or_positive_in_words_and_shape(
    klass, direction, comparison, shape, words
):
    marked = point("A", 50, 80.0, klass, direction)
    assert funnel_figures.mark(marked) == (shape, palette.COMPARISON_COLOURS[comparison])
    assert funnel_figures.class_words(marked) == words
    assert funnel_figures.mark(point("B", 50, 50.0)) == ("circle", palette.WITHIN_COLOUR)


def test_no_builder_names_a_colour_of_its_own():
    """The figure builders and templates take comparison colours from the palette: none of the
    old scheme's colours is left anywhere a page, map or chart is drawn."""
    old = ("#2166ac", "#e66101", "#f6e8c3", "#5e3c99", "#b2abd2")
    places = [*ROOT.glob("dashboards/*.py"), *ROOT.glob("dashboards/static/dashboards/*.*"),
              *ROOT.glob("npda/pages/templates/pages/*.html"),
              *ROOT.glob("dashboards/templates/dashboards/*.html")]  # fmt: skip
    for path in places:
        text = path.read_text()
        assert not [c for c in old if c in text], path
