"""A unit's uploads: the upload page, blank templates, and each submission with its errors."""

from django.urls import path

from npda.submissions import views

urlpatterns = [
    path("submissions/upload/", views.upload, name="upload"),
    path(
        "submissions/templates/<int:dataset_year>.csv",
        views.upload_template,
        name="upload-template",
    ),
    path("submissions/<int:pk>/", views.submission_detail, name="submission-detail"),
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
