"""The public pages: home, search, maps, areas, units, benchmarking, methods, open data, and
their image and file downloads."""

from django.urls import path

from npda.pages import areas, home, images, search, units, views

urlpatterns = [
    path("", home.home, name="home"),
    path("search/", search.search, name="search"),
    path("methods/", home.methods, name="methods"),
    path("open-data/", home.open_data, name="open-data"),
    path("about/data/", home.about_data, name="about-data"),
    path("maps/", views.maps, name="maps"),
    path("areas/", areas.areas_index, name="areas-index"),
    path("areas/<slug:level>/", areas.level_index, name="areas-level"),
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
