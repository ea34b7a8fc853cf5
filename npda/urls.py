from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from boundaries.views import boundary_layer_geojson
from npda import views

admin.site.site_header = "NPDA administration"
admin.site.site_title = "NPDA"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("boundaries/<str:level>.geojson", boundary_layer_geojson, name="boundary-layer"),
    path("admin/", admin.site.urls),
    path("django_plotly_dash/", include("django_plotly_dash.urls")),
]
