"""The open data API under /api/v1/, and its documentation page."""

from django.urls import path

from npda.api import docs
from npda.api.views import api

urlpatterns = [
    path("api/v1/docs", docs.docs, name="api-docs"),
    path("api/v1/", api.urls),
]
