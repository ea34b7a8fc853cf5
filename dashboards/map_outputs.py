"""What the map explorer's one callback draws, and the request the browser sends to run it.

Plain Python with no Django or Dash import, so the load test (bench/locustfile.py) can send
exactly what the page sends.
"""

# What the callback draws, as "component.property".
OUTPUTS = (
    "map-problems.children", "map-breadcrumb.children", "map-title.children",
    "map-release.children", "map-definition.children", "area-layer.url", "area-layer.hideout",
    "context-layer.url", "context-layer.hideout", "unit-layer.url", "unit-layer.hideout",
    "map-legend.children", "map-table.children", "map-download.children", "map.viewport",
    "shown-place.data",
)  # fmt: skip


def update_request(search: str, shown_place: list | None = None) -> dict:
    """The body the browser posts to django-plotly-dash when the query string changes (for
    tests and benchmarks that call the endpoint as the page does)."""
    return {
        "output": ".." + "...".join(OUTPUTS) + "..",
        "outputs": [dict(zip(("id", "property"), o.split("."), strict=True)) for o in OUTPUTS],
        "inputs": [{"id": "url", "property": "search", "value": search}],
        "state": [{"id": "shown-place", "property": "data", "value": shown_place}],
        "changedPropIds": ["url.search"],
    }
