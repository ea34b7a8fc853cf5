"""A unit's uploads: the upload page, blank templates, and each submission with its errors."""

from django.urls import path

from npda.submissions.views import quality, versions
from npda.submissions.views import uploads as views

urlpatterns = [
    path("submissions/upload/", views.upload, name="upload"),
    path(
        "submissions/templates/<int:dataset_year>.csv",
        views.upload_template,
        name="upload-template",
    ),
    path("submissions/<int:pk>/", views.submission_detail, name="submission-detail"),
    path("submissions/<int:pk>/use/", views.use_draft, name="submission-use"),
    path("submissions/<int:pk>/discard/", views.discard, name="submission-discard"),
    path(
        "submissions/history/<slug:code>/<int:year>/",
        versions.history,
        name="submission-history",
    ),
    path(
        "submissions/history/<slug:code>/<int:year>/restore/",
        versions.restore,
        name="submission-restore",
    ),
    path("submissions/sign-off/<slug:code>/<int:year>/", versions.sign_off_page, name="sign-off"),
    path(
        "submissions/quality/<slug:code>/<int:year>/",
        quality.quality_page,
        name="data-quality",
    ),
    path(
        "submissions/quality/<slug:code>/<int:year>.xlsx",
        quality.quality_workbook,
        name="data-quality-xlsx",
    ),
    path(
        "submissions/sign-off/<slug:code>/<int:year>/reopen/",
        versions.reopen,
        name="sign-off-reopen",
    ),
    path(
        "submissions/<int:pk>/errors.csv",
        views.submission_errors_csv,
        name="submission-errors-csv",
    ),
    path(
        "submissions/<int:pk>/errors.xlsx",
        views.submission_errors_xlsx,
        name="submission-errors-xlsx",
    ),
]
