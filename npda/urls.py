from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from boundaries.views import boundary_layer_geojson, boundary_layer_version
from npda import (
    account_views,
    area_views,
    image_views,
    release_views,
    submission_views,
    unit_views,
    user_views,
    views,
)
from npda.api import api

admin.site.site_header = "NPDA administration"
admin.site.site_title = "NPDA"

urlpatterns = [
    path("", views.home, name="home"),
    path("maps/", views.maps, name="maps"),
    path("areas/<slug:level>/<slug:code>/", area_views.area_page, name="area-page"),
    path(
        "areas/<slug:level>/<slug:code>.<slug:fmt>",
        area_views.area_download,
        name="area-download",
    ),
    path("maps/map.<slug:fmt>", image_views.map_image, name="map-image"),
    path(
        "benchmarking/<str:measure>/<slug:chart>.<slug:fmt>",
        image_views.funnel_image,
        name="funnel-image",
    ),
    path("units/<slug:code>/<slug:chart>.<slug:fmt>", image_views.unit_image, name="unit-image"),
    path("units/", unit_views.units_index, name="units-index"),
    path("units/<slug:code>/", unit_views.unit_page, name="unit-page"),
    path("benchmarking/", views.benchmarking_index, name="benchmarking-index"),
    path("benchmarking/<str:measure>/", views.benchmarking, name="benchmarking"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", account_views.verify, name="two-factor"),
    path("accounts/users/", user_views.account_list, name="accounts"),
    path("accounts/users/new/", user_views.account_edit, name="account-new"),
    path("accounts/users/<int:pk>/", user_views.account_edit, name="account-edit"),
    path(
        "accounts/password-reset/",
        account_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="registration/password_reset_sent.html"
        ),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        account_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_changed.html"
        ),
        name="password_reset_complete",
    ),
    path("accounts/two-factor/setup/", account_views.set_up, name="two-factor-setup"),
    path("submissions/upload/", submission_views.upload, name="upload"),
    path(
        "submissions/templates/<int:dataset_year>.csv",
        submission_views.upload_template,
        name="upload-template",
    ),
    path("submissions/<int:pk>/", submission_views.submission_detail, name="submission-detail"),
    path(
        "submissions/<int:pk>/errors.csv",
        submission_views.submission_errors_csv,
        name="submission-errors-csv",
    ),
    path(
        "submissions/<int:pk>/errors.xlsx",
        submission_views.submission_errors_xlsx,
        name="submission-errors-xlsx",
    ),
    path(
        "boundaries/<slug:level>.<slug:version>.geojson",
        boundary_layer_version,
        name="boundary-layer-version",
    ),
    path("boundaries/<slug:level>.geojson", boundary_layer_geojson, name="boundary-layer"),
    path("api/v1/", api.urls),
    path(
        "releases/<int:release_id>/suppression-log.csv",
        release_views.suppression_log_csv,
        name="suppression-log",
    ),
    path("releases/<int:release_id>/outliers/", release_views.outliers_page, name="outliers"),
    path("admin/", admin.site.urls),
    path("django_plotly_dash/", include("django_plotly_dash.urls")),
]
