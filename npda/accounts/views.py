"""Two-factor pages: set up an authenticator app (with recovery codes), and enter a code after
the password (every other page needs a verified session: middleware.TwoFactorMiddleware); and
password reset by email."""

from axes.utils import reset as axes_reset
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from npda.accounts import two_factor
from npda.accounts.activity import client_ip, record_activity
from npda.accounts.auth import reset_email_refusal
from npda.data_model.models import ActivityType, NPDAUser


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or reverse("landing")
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if safe else reverse("landing")


@never_cache
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    if request.user.is_verified():
        return redirect(_next(request))
    if not two_factor.has_two_factor(request.user):
        return redirect(reverse("two-factor-setup") + f"?next={_next(request)}")
    error = ""
    if request.method == "POST":
        if two_factor.verify(request, request.user, request.POST.get("code", "")):
            return redirect(_next(request))
        error = two_factor.wrong_code_message(two_factor.app_device(request.user))
    return render(request, "registration/two_factor_verify.html",
                  {"error": error, "next": _next(request)})  # fmt: skip


@never_cache
@login_required
def set_up(request: HttpRequest) -> HttpResponse:
    # Replacing an app needs a verified session: the password alone must not be enough.
    if two_factor.has_two_factor(request.user) and not request.user.is_verified():
        return redirect(reverse("two-factor") + f"?next={_next(request)}")
    device = two_factor.pending_device(request.user)
    error = ""
    if request.method == "POST":
        codes = two_factor.confirm_set_up(request, device, request.POST.get("code", ""))
        if codes is not None:
            return render(request, "registration/recovery_codes.html",
                          {"codes": codes, "next": _next(request)})  # fmt: skip
        error = two_factor.wrong_code_message(device)
    return render(
        request,
        "registration/two_factor_setup.html",
        {"qr_svg": two_factor.qr_svg(device), "secret": two_factor.secret_text(device),
         "error": error, "next": _next(request)},
    )  # fmt: skip


class ResetForm(PasswordResetForm):
    def get_users(self, email):
        """The account of the address's canonical form (as login finds it), if it may reset."""
        user = NPDAUser.objects.by_email(email)
        return [user] if user is not None and user.is_active and user.has_usable_password() else []


class PasswordResetView(auth_views.PasswordResetView):
    """A reset link by email (Django's: the page never says whether the address has an
    account), a few an hour per account and per address (auth.reset_email_refusal); each
    request is in the audit trail, with the account when there is one and, when no email
    went, why."""

    form_class = ResetForm
    template_name = "registration/password_reset.html"
    # Names of our own: the admin's templates of Django's names come first in the search.
    email_template_name = "registration/reset_email.txt"
    subject_template_name = "registration/reset_email_subject.txt"

    def form_valid(self, form):
        user = NPDAUser.objects.by_email(form.cleaned_data["email"])
        refusal = reset_email_refusal(user, client_ip(self.request))
        record_activity(self.request, ActivityType.PASSWORD_RESET_REQUESTED, user=user,
                        success=not refusal, detail=refusal)  # fmt: skip
        if refusal:
            return redirect(self.get_success_url())  # the same answer as when one is sent
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/set_new_password.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        # Whoever had the link owns the mailbox: a lockout of the account (perhaps by someone
        # who only knew the address) ends with the new password.
        axes_reset(username=form.user.email)
        record_activity(self.request, ActivityType.PASSWORD_CHANGED, user=form.user, success=True,
                        detail="by a reset link")  # fmt: skip
        return response
