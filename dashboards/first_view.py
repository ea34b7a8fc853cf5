"""Charts that paint with the page (ADR 0026).

An embedded Dash app's first view (its layout with its callbacks' first answers) is made while
the page itself is made, and arrives in it twice: as HTML, which the browser shows at once and
which works without JavaScript, and as Dash's layout JSON. `static/dashboards/first_paint.js`
draws the layout's figures with plotly as the page is parsed, so the charts are drawn before
the page's load event, and starts the Dash app only on the first change of the page's state,
answering its layout request from the JSON already in the page. From then on every change goes
through the app's callbacks, as before. No callback runs when a page opens.

Pure functions over Dash components: no Django, no database.
"""

import html
import re
from collections.abc import Iterable, Sequence

from dash import dcc
from dash.development.base_component import Component
from plotly.io.json import to_json_plotly

# Props that are Dash's own, never HTML attributes.
DASH_ONLY = {"children", "id", "className", "style", "n_clicks", "n_clicks_timestamp",
             "disable_n_clicks", "loading_state", "setProps"}  # fmt: skip
VOID_TAGS = {"br", "hr", "img", "input", "meta", "link", "wbr", "col"}
RENDERS_NOTHING = {"Location", "Store"}


def script_json(text: str) -> str:
    """JSON made safe inside a `<script type="application/json">` (as Django's json_script)."""
    return text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")


def figure_json(figure: dict) -> str:
    """A plotly figure as JSON for the page (NaN as null, numpy as lists), script-safe."""
    return script_json(to_json_plotly(figure))


def layout_json(layout: Component) -> str:
    """The layout as Dash's `_dash-layout` answers it, script-safe."""
    return script_json(to_json_plotly(layout))


def walk(component) -> Iterable[Component]:
    """Every component in a tree, the root first."""
    if isinstance(component, Component):
        yield component
        yield from walk(getattr(component, "children", None))
    elif isinstance(component, (list, tuple)):
        for child in component:
            yield from walk(child)


def with_outputs(layout: Component, outputs: Sequence[str], values: Sequence) -> Component:
    """The layout with each "id.property" of `outputs` set to its value, as a callback's
    answer sets it in the browser."""
    by_id = {getattr(c, "id", None): c for c in walk(layout)}
    for output, value in zip(outputs, values, strict=True):
        component_id, prop = output.split(".")
        setattr(by_id[component_id], prop, value)
    return layout


def _css(style: dict) -> str:
    def kebab(name: str) -> str:
        return re.sub(r"([A-Z])", lambda m: "-" + m.group(1).lower(), name)

    return "; ".join(f"{kebab(k)}: {v}" for k, v in style.items())


def _attributes(component: Component, extra_class: str = "", *, own_props: bool = True) -> str:
    """id, class and style, and (`own_props`, for html.* components) the HTML attributes
    passed as props: aria-*, data-*, role, href, download, open."""
    props = component.to_plotly_json()["props"]
    parts = []
    if props.get("id") is not None:
        parts.append(f'id="{html.escape(str(props["id"]))}"')
    classes = " ".join(c for c in (props.get("className"), extra_class) if c)
    if classes:
        parts.append(f'class="{html.escape(classes)}"')
    if props.get("style"):
        parts.append(f'style="{html.escape(_css(props["style"]))}"')
    for name, value in sorted(props.items()) if own_props else ():  # in a stable order
        if name in DASH_ONLY or value is None or value is False:
            continue
        if value is True:
            parts.append(html.escape(name))
        elif isinstance(value, (str, int, float)):
            parts.append(f'{html.escape(name)}="{html.escape(str(value))}"')
    return (" " + " ".join(parts)) if parts else ""


def render_html(component) -> str:
    """HTML as Dash would draw the tree: html.* components as their elements, dcc.Markdown's
    HTML as it is (our builders escape it), a graph as an empty holder that first_paint.js
    draws its figure into, and Location and Store as nothing."""
    if component is None or component is False:
        return ""
    if isinstance(component, (list, tuple)):
        return "".join(render_html(c) for c in component)
    if not isinstance(component, Component):
        return html.escape(str(component))
    kind = component._type
    if kind in RENDERS_NOTHING:
        return ""
    if isinstance(component, dcc.Graph):
        attributes = _attributes(component, "dash-graph", own_props=False)
        return f'<div{attributes}><div class="first-plot"></div></div>'
    if isinstance(component, dcc.Markdown):
        return f"<div{_attributes(component, own_props=False)}>{_markdown_html(component)}</div>"
    tag = kind.lower()
    inner = render_html(getattr(component, "children", None))
    if tag in VOID_TAGS:
        return f"<{tag}{_attributes(component)}>"
    return f"<{tag}{_attributes(component)}>{inner}</{tag}>"


def _markdown_html(component: dcc.Markdown) -> str:
    text = component.children if isinstance(component.children, str) else ""
    if getattr(component, "dangerously_allow_html", False):
        return text  # our builders' escaped HTML (tables, links)
    return f"<p>{html.escape(text)}</p>"
