"""The look shared by the plotly figures (funnels, trends, case mix)."""

import html

import plotly.graph_objects as go
import plotly.io as pio

# simple_white's layout only: its per-trace defaults for every trace type cost ~10 ms to
# validate on each figure (measured), and the figures set their traces' styles themselves.
TEMPLATE = go.layout.Template(layout=pio.templates["simple_white"].layout)
TEMPLATE_JSON = TEMPLATE.to_plotly_json()


def figure(traces: list[dict], title: str, **layout) -> dict:
    """A figure as plotly JSON (what Dash sends), built without plotly's validation, which
    costs 15-30 ms a figure in a callback: the builders' unit tests check the structure."""
    return {
        "data": traces,
        "layout": {
            "template": TEMPLATE_JSON,
            "title": {"text": html.escape(title), "x": 0, "font": {"size": 15}},
            "hoverlabel": {"bgcolor": "white"},
            **layout,
        },
    }
