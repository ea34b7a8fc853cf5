"""Logging in and out, two-factor authentication, password reset, and the account pages."""

from django.contrib.auth import views as auth_views
from django.urls import path

from npda.accounts import people, views

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", views.verify, name="two-factor"),
    path("accounts/users/", people.account_list, name="accounts"),
    path("accounts/users/new/", people.account_edit, name="account-new"),
    path("accounts/users/<int:pk>/", people.account_edit, name="account-edit"),
    path(
        "accounts/password-reset/",
        views.PasswordResetView.as_view(),
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
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_changed.html"
        ),
        name="password_reset_complete",
    ),
    path("accounts/two-factor/setup/", views.set_up, name="two-factor-setup"),
]
