"""`{% dash_first_view "unit_profile" %}`: an embedded Dash app with its first view already in
the page (ADR 0026), in place of django-plotly-dash's `{% plotly_direct %}`.

As `plotly_direct`, it hands the app's scripts and config to `{% plotly_footer %}`; unlike it,
it puts the first view's HTML where Dash shows "Loading...", adds the layout as JSON for
`first_paint.js`, and leaves out the inline script that starts Dash at once: first_paint.js
starts it on the first change of the page's state.
"""

import html
import re

from django import template
from django.utils.safestring import mark_safe
from django_plotly_dash.models import DashApp

from dashboards import funnel_explorer, unit_profile
from dashboards.first_view import layout_json, render_html

register = template.Library()

FIRST_VIEWS = {
    "unit_profile": unit_profile.first_view,
    "funnel_explorer": funnel_explorer.first_view,
}
LOADING = re.compile(r'<div class="_dash-loading">.*?</div>', re.DOTALL)


@register.simple_tag(takes_context=True)
def dash_first_view(context, name: str) -> str:
    request = context["request"]
    search = request.META.get("QUERY_STRING", "")
    tree = FIRST_VIEWS[name](request.user, request.path, f"?{search}" if search else "")
    _, app = DashApp.locate_item(name, stateless=True)
    index = app.locate_endpoint_function()
    app.set_embedded(request.dpd_content_handler.embedded_holder)
    try:
        entry = index()  # the app's entry point; its scripts and config go to the footer
    finally:
        app.exit_embedded()
    body = LOADING.sub(lambda _: render_html(tree), str(entry), count=1)
    return mark_safe(
        f'<div class="django-plotly-dash django-plotly-dash-direct first-view" '
        f'data-dash-app="{html.escape(name)}">{body}</div>'
        f'<script type="application/json" id="_dash-first-layout">{layout_json(tree)}</script>'
    )
