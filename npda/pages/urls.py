"""The public pages: home, maps, areas, units, benchmarking, and their image and file
downloads."""

from django.urls import path

from npda.pages import areas, images, units, views

urlpatterns = [
    path("", views.home, name="home"),
    path("maps/", views.maps, name="maps"),
    path("areas/<slug:level>/<slug:code>/", areas.area_page, name="area-page"),
    path("areas/<slug:level>/<slug:code>.<slug:fmt>", areas.area_download, name="area-download"),
    path("maps/map.<slug:fmt>", images.map_image, name="map-image"),
    path(
        "benchmarking/<str:measure>/<slug:chart>.<slug:fmt>",
        images.funnel_image,
        name="funnel-image",
    ),
    path("units/<slug:code>/<slug:chart>.<slug:fmt>", images.unit_image, name="unit-image"),
    path("units/", units.units_index, name="units-index"),
    path("units/<slug:code>/", units.unit_page, name="unit-page"),
    path("benchmarking/", views.benchmarking_index, name="benchmarking-index"),
    path("benchmarking/<str:measure>/", views.benchmarking, name="benchmarking"),
]
