"""A unit's page (`/units/<PZ code>/`): every measure as a spine chart against England and
Wales and the spread of all units, its comparators, peer units, and (embedded Dash) its trends
and case mix. Data through `dashboards.unit_data`, which reads only through the selectors.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from aggregation.selectors import NotFound
from constants.kpis import MEASURES
from constants.levels import RCPCH_ATTRIBUTION
from dashboards.unit_data import unit_url, unit_view
from npda.data_model.models import PaediatricDiabetesUnit
from npda.pages.views import asset_version


def units_index(request: HttpRequest) -> HttpResponse:
    """Every unit, by ICB or health board; `?unit=PZ041` (the form without JavaScript) goes
    straight to the unit's page."""
    units = PaediatricDiabetesUnit.objects.select_related(
        "integrated_care_board", "local_health_board"
    ).order_by("name")
    wanted = request.GET.get("unit", "").strip().upper()
    if wanted:
        if not units.filter(pz_code=wanted).exists():
            raise Http404(f"There is no unit {wanted!r}.")
        return redirect(unit_url(wanted))
    groups: dict[str, list] = {}
    for unit in units:
        area = unit.integrated_care_board or unit.local_health_board
        groups.setdefault(area.name if area else "Other", []).append(unit)
    return render(
        request,
        "pages/units.html",
        {"units": units, "groups": sorted(groups.items()), "asset_version": asset_version()},
    )


def unit_page(request: HttpRequest, code: str) -> HttpResponse:
    if code != code.upper():
        return redirect(unit_url(code.upper(), request.GET.urlencode()))
    try:
        view = unit_view(request.user, code, request.GET.urlencode())
    except NotFound as error:
        raise Http404(str(error)) from error
    return render(
        request,
        "pages/unit.html",
        {
            "view": view,
            "spine_image": unit_url(view.unit.code) + "spine",
            "release_query": "?" + view.state.query() if view.state.query() else "",
            "measures": MEASURES,
            "asset_version": asset_version(),
            "attribution": RCPCH_ATTRIBUTION,
        },
    )
