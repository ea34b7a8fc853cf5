from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from constants.levels import OGL_ATTRIBUTION, RCPCH_ATTRIBUTION
from npda import selectors


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "npda/home.html",
        {
            "levels": selectors.reference_level_counts(),
            "layers": selectors.boundary_layers(),
            "last_load": selectors.latest_reference_load(),
            "ogl_attribution": OGL_ATTRIBUTION,
            "rcpch_attribution": RCPCH_ATTRIBUTION,
        },
    )
