"""The site's URLs: each part's own, then the map shapes, the admin and the Dash apps."""

from django.contrib import admin
from django.urls import include, path

from boundaries.views import boundary_layer_geojson, boundary_layer_version

admin.site.site_header = "NPDA administration"
admin.site.site_title = "NPDA"

urlpatterns = [
    path("", include("npda.workspace.urls")),
    path("", include("npda.pages.urls")),
    path("", include("npda.accounts.urls")),
    path("", include("npda.submissions.urls")),
    path("", include("npda.audit_team.urls")),
    path("", include("npda.api.urls")),
    path(
        "boundaries/<slug:level>.<slug:version>.geojson",
        boundary_layer_version,
        name="boundary-layer-version",
    ),
    path("boundaries/<slug:level>.geojson", boundary_layer_geojson, name="boundary-layer"),
    path("admin/", admin.site.urls),
    path("django_plotly_dash/", include("django_plotly_dash.urls")),
]
