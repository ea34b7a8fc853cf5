"""What the funnel and unit apps' callbacks draw, and the request the browser sends to run one.

Both apps read the page's path and query string (`dcc.Location` "url"); the output lists here
are the ones their callbacks declare, so tests and benchmarks post exactly what the page posts.
Plain Python, no Django or Dash import.
"""

FUNNEL_OUTPUTS = (
    "funnel-problems.children", "funnel-title.children", "funnel-method.children",
    "funnel-plot.figure", "caterpillar-plot.figure", "funnel-table.children",
    "funnel-download.children", "funnel-not-shown.children",
)  # fmt: skip
TREND_OUTPUTS = ("trend-title.children", "trend-problems.children", "trend-years.figure",
                 "trend-quarters.figure", "trend-tables.children")  # fmt: skip
PEER_OUTPUTS = ("peers-title.children", "peers-table-holder.children")
CASE_MIX_OUTPUTS = ("case-mix-title.children", "case-mix.figure", "case-mix.style",
                    "case-mix-table-holder.children")  # fmt: skip
UNIT_CALLBACKS = {"trend": TREND_OUTPUTS, "peers": PEER_OUTPUTS, "case mix": CASE_MIX_OUTPUTS}


def location_request(outputs: tuple[str, ...], pathname: str, search: str) -> dict:
    """The body django-plotly-dash receives when the page's path or query string changes."""
    return {
        "output": ".." + "...".join(outputs) + "..",
        "outputs": [dict(zip(("id", "property"), o.split("."), strict=True)) for o in outputs],
        "inputs": [
            {"id": "url", "property": "pathname", "value": pathname},
            {"id": "url", "property": "search", "value": search},
        ],
        "changedPropIds": ["url.search"],
    }


def dash_outputs(outputs: tuple[str, ...]) -> list:
    """The outputs as a callback declares them."""
    from dash import Output

    return [Output(*o.split(".")) for o in outputs]
