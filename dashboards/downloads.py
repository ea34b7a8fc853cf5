"""The links to a page's chart and map images (PNG and SVG drawn on the server, ADR 0017), as
the Dash apps show them next to their charts."""

from dash import html

from .rendering import IMAGE_FORMATS


def image_links(path: str, search: str, charts: tuple[tuple[str, str], ...], lead: str) -> list:
    """`<path>/<chart>.<png|svg><search>` for each (chart, label): the page's state carries
    over, so the file is the chart on the screen."""
    base, query = str(path or "").rstrip("/"), str(search or "")
    links: list = [lead]
    for chart, label in charts:
        for fmt in IMAGE_FORMATS:
            href = f"{base}/{chart}.{fmt}{query}"
            links += [" ", html.A(f"{label} ({fmt.upper()})", href=href, download="")]
    return links
