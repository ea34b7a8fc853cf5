"""A unit's own workspace: its landing page, its children, each child's record and what is
due (before the public unit pages' patterns, which would take `units/<code>/<chart>.<fmt>`)."""

from django.urls import path

from npda.workspace import editing, views

urlpatterns = [
    path("workspace/", views.landing, name="landing"),
    path("units/<slug:code>/workspace/", views.workspace, name="workspace"),
    path("units/<slug:code>/children/", views.children, name="unit-children"),
    path(
        "units/<slug:code>/children/download.<slug:fmt>",
        views.children_download,
        name="unit-children-download",
    ),
    path("units/<slug:code>/children/<int:pk>/", views.child, name="unit-child"),
    path("units/<slug:code>/children/new/", editing.child_form, name="child-new"),
    path("units/<slug:code>/children/<int:pk>/edit/", editing.child_form, name="child-edit"),
    path(
        "units/<slug:code>/children/<int:pk>/contacts/new/",
        editing.contact_form,
        name="contact-new",
    ),
    path(
        "units/<slug:code>/children/<int:pk>/contacts/<int:contact_pk>/",
        editing.contact_form,
        name="contact-edit",
    ),
    path(
        "units/<slug:code>/children/<int:pk>/contacts/<int:contact_pk>/remove/",
        editing.contact_remove,
        name="contact-remove",
    ),
    path("units/<slug:code>/children/<int:pk>/undo/", editing.undo, name="change-undo"),
    path("units/<slug:code>/due/", views.due, name="unit-due"),
    path("units/<slug:code>/due/download.<slug:fmt>", views.due, name="unit-due-download"),
]
