"""The open data API under /api/v1/."""

from django.urls import path

from npda.api.views import api

urlpatterns = [path("api/v1/", api.urls)]
