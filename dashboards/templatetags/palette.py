"""`{{ row.comparison_key|comparison_mark }}`: the palette's swatch beside a comparison's words
(ADR 0025), so a template never names a colour."""

from django import template
from django.utils.safestring import mark_safe

from dashboards import palette

register = template.Library()


@register.filter
def comparison_mark(key: str) -> str:
    return mark_safe(palette.table_mark_html(key))
