"""The RCPCH audit team's pages of a release: its suppression log and its outliers."""

from django.urls import path

from npda.audit_team import home, releases, tracker

urlpatterns = [
    path("team/", home.audit_team_home, name="audit-team"),
    path("submissions/tracker/", tracker.tracker, name="tracker"),
    path(
        "releases/<int:release_id>/suppression-log.csv",
        releases.suppression_log_csv,
        name="suppression-log",
    ),
    path("releases/<int:release_id>/outliers/", releases.outliers_page, name="outliers"),
]
