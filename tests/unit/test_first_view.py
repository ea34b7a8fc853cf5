"""Charts that paint with the page (ADR 0026): a Dash layout with its first answers, drawn as
HTML the same shape Dash draws, and as JSON safe inside a script element."""

import json

from dash import dcc, html

from dashboards import first_view
from dashboards.headline import sparkline_svg, trend_words
from dashboards.map_figures import plain_name
from dashboards.unit_figures import TrendRow
from npda.pages.selectors import MAX_SEARCH_CHARS, MAX_SEARCH_WORDS, search_words


def layout() -> html.Div:
    return html.Div(
        [
            dcc.Location(id="url"),
            html.H2(id="title"),
            html.Section(
                [
                    dcc.Graph(id="chart", style={"height": "340px"}, config={"responsive": True}),
                    html.Div(id="table"),
                ],
                **{"aria-labelledby": "title", "data-chart": "x"},
            ),
            html.Details([html.Summary("More"), html.P("text")], open=True),
        ],
        className="app",
    )


def test_outputs_are_set_by_id_as_a_callback_sets_them():
    tree = first_view.with_outputs(
        layout(), ("title.children", "chart.figure", "table.children"),
        ("A & <B>", {"data": [{"type": "bar"}]}, dcc.Markdown("<table id='t'></table>",
                                                               dangerously_allow_html=True)),
    )  # fmt: skip
    text = first_view.render_html(tree)
    assert text.startswith('<div class="app"><h2 id="title">A &amp; &lt;B&gt;</h2>')
    assert '<section aria-labelledby="title" data-chart="x">' in text
    # A graph is an empty holder (first_paint.js draws into it); a Location draws nothing.
    assert ('<div id="chart" class="dash-graph" style="height: 340px">'
            '<div class="first-plot"></div></div>') in text  # fmt: skip
    assert "<div id=\"table\"><div><table id='t'></table></div></div>" in text
    assert "<details open><summary>More</summary><p>text</p></details>" in text
    assert "url" not in text


def test_the_layout_json_is_dashs_and_safe_in_a_script():
    tree = first_view.with_outputs(layout(), ("title.children",), ("</script><b>",))
    raw = first_view.layout_json(tree)
    assert "</script>" not in raw and "<" not in raw
    parsed = json.loads(raw)
    assert parsed["type"] == "Div" and parsed["namespace"] == "dash_html_components"
    assert parsed["props"]["children"][1]["props"]["children"] == "</script><b>"


def test_a_sparkline_is_a_picture_whose_words_are_its_label():
    rows = [TrendRow("2023-24", "2024-03-31", 60.0, False, (59.0, 61.0), "", None),
            TrendRow("2024-25", "2025-03-31", 58.5, False, (57.5, 59.5), "", None)]  # fmt: skip
    svg = sparkline_svg(rows, "mmol/mol", "Mean HbA1c")
    assert trend_words(rows, "mmol/mol") == "60.0 in 2023-24, 58.5 in 2024-25"
    assert 'role="img" aria-label="Mean HbA1c: 60.0 in 2023-24, 58.5 in 2024-25"' in svg
    assert svg.count("<circle") == 2 and svg.count("<line") == 2  # values and intervals
    assert sparkline_svg([], "%", "x") == ""


def test_search_words_are_normalised_and_bounded():
    assert search_words("  Cambridge,  PETERBOROUGH ") == ["cambridge", "peterborough"]
    assert search_words("ｃａｍｂｒｉｄｇｅ") == ["cambridge"]  # full width, as NFKC has it
    assert len("".join(search_words("x" * 500))) == MAX_SEARCH_CHARS
    assert len(search_words(" ".join("abcdefghijkl"))) == MAX_SEARCH_WORDS
    assert search_words("\t\n ") == []


def test_names_in_capitals_are_written_as_people_write_them():
    assert plain_name("CAMBRIDGE UNIVERSITY HOSPITALS NHS FOUNDATION TRUST") == (
        "Cambridge University Hospitals NHS Foundation Trust"
    )
    assert plain_name("THE QUEEN ELIZABETH HOSPITAL, KING'S LYNN, NHS FOUNDATION TRUST") == (
        "The Queen Elizabeth Hospital, King's Lynn, NHS Foundation Trust"
    )
    assert plain_name("NHS Kent and Medway") == "NHS Kent and Medway"  # left alone


def test_the_vendored_plotly_bundle_is_the_version_dash_draws_with():
    """The pages draw with plotly.js's basic bundle (a quarter of the full bundle's script to
    run: ADR 0026); Dash's graphs use it too once the app starts, so it must be the version
    Dash ships."""
    from pathlib import Path

    from plotly.offline import get_plotlyjs_version

    bundle = Path(__file__).resolve().parents[2] / "dashboards/static/dashboards/vendor"
    header = (bundle / "plotly-basic.min.js").read_text()[:200]
    assert f"plotly.js (basic - minified) v{get_plotlyjs_version()}" in header
    assert "MIT" in (bundle / "plotly-basic.LICENSE.txt").read_text()
