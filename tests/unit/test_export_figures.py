"""The figures downloaded as images: framed with title, period, source and attribution at a
fixed size, and the map drawn from shapes with the style function's colours."""

import plotly.graph_objects as go

from dashboards import export_figures as ef
from dashboards.map_figures import LegendItem

SQUARE = {"type": "Polygon", "coordinates": [[[-1, 52], [0, 52], [0, 53], [-1, 53], [-1, 52]]]}
WITH_HOLE = {
    "type": "MultiPolygon",
    "coordinates": [[
        [[-3, 51], [-2, 51], [-2, 52], [-3, 52], [-3, 51]],
        [[-2.7, 51.3], [-2.3, 51.3], [-2.3, 51.7], [-2.7, 51.7], [-2.7, 51.3]],
    ]],
}  # fmt: skip


def _figure() -> dict:
    return {"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}],
            "layout": {"title": {"text": "Old"}, "legend": {"orientation": "h", "y": -0.2},
                       "hoverlabel": {"bgcolor": "white"}, "margin": {"l": 60}}}  # fmt: skip


def test_framed_sets_the_size_title_period_and_source():
    framed = ef.framed(_figure(), title="Mean HbA1c <by year>", period="2022-23 to 2024-25",
                       source="Source: NPDA. " * 30, width=1000, height=500)  # fmt: skip
    layout = framed["layout"]
    assert layout["width"] == 1000 and layout["height"] > 500  # the foot is added below
    assert layout["title"]["text"] == "Mean HbA1c &lt;by year&gt;"  # text, never markup
    assert layout["title"]["subtitle"]["text"] == "2022-23 to 2024-25"
    source = layout["annotations"][-1]["text"]
    assert source.count("<br>") >= 2 and "Source: NPDA." in source  # wrapped to the width
    foot = layout["margin"]["b"]
    assert layout["annotations"][-1]["yshift"] == 8 - foot  # inside the image, at its foot
    assert layout["legend"]["y"] == 1.0  # a horizontal legend moves above the plot
    assert "hoverlabel" not in layout
    go.Figure(framed)  # plotly accepts it: every property is real


def test_the_map_draws_each_area_as_an_even_odd_path_with_its_fill():
    legend = [LegendItem("#2166ac", "Better than England and Wales (1)")]
    figure = ef.map_figure(
        [ef.MapArea(SQUARE, "#2166ac", outlined=True), ef.MapArea(WITH_HOLE, "#e66101")],
        [ef.MapDot(-0.5, 52.5, "#f6e8c3", 6.0)], legend, legend_title="Mean HbA1c",
        bounds=[[51, -3], [53, 0]],
    )  # fmt: skip
    shapes = figure["layout"]["shapes"]
    assert [s["fillcolor"] for s in shapes] == ["#e66101", "#2166ac"]  # the chosen one on top
    assert shapes[1]["line"]["color"] == "#111" and all(s["fillrule"] == "evenodd" for s in shapes)
    assert shapes[0]["path"].count("M") == 2  # the hole is its own ring
    dots = figure["data"][1]
    assert dots["marker"]["size"] == [12.0] and dots["marker"]["color"] == ["#f6e8c3"]
    assert [t["name"] for t in figure["data"][2:]] == ["Better than England and Wales (1)"]
    assert figure["layout"]["yaxis"]["scaleanchor"] == "x"
    go.Figure(figure)


def test_longitude_is_shrunk_by_the_cosine_of_latitude():
    figure = ef.map_figure([ef.MapArea(SQUARE, "#fff")], [], [], legend_title="",
                           bounds=[[52, -1], [53, 0]])  # fmt: skip
    west, east = figure["layout"]["xaxis"]["range"]
    assert round(east - west, 3) == 0.609  # cos(52.5°) of one degree
    assert figure["layout"]["showlegend"] is False
