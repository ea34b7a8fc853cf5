"""Logging in: email addresses whatever their case, and the lockout after repeated failures
(django-axes, configured in settings: NPDA_LOCKOUT_ATTEMPTS within NPDA_LOCKOUT_MINUTES)."""

import datetime as dt
import math

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from npda.data_model.models.users import canonical_email


class CaseInsensitiveEmailBackend(ModelBackend):
    """Email login, whatever the case the user types (the manager looks the account up by the
    address's canonical form, npda.data_model.models.users.canonical_email)."""


def lockout_username(request: HttpRequest, credentials: dict | None = None) -> str:
    """The account an attempt counts against: the typed email in its canonical form, so that
    no other spelling of an address that logs in starts a count of its own."""
    typed = (credentials or {}).get("username") or request.POST.get("username", "")
    return canonical_email(typed)


def reset_email_refusal(user, ip_address: str | None) -> str:
    """Why no reset email goes out for this request ("" when one may): no such active account
    with a password, or already NPDA_RESET_EMAILS_PER_ACCOUNT emails to the account or
    NPDA_RESET_EMAILS_PER_ADDRESS from the address within the hour (the audit trail counts
    them). The page answers the same either way."""
    from npda.data_model.models import ActivityType, VisitActivity

    if user is None or not user.is_active or not user.has_usable_password():
        return "not sent: no such account"
    sent = VisitActivity.objects.filter(
        activity=ActivityType.PASSWORD_RESET_REQUESTED,
        success=True,
        timestamp__gte=timezone.now() - dt.timedelta(hours=1),
    )
    if sent.filter(user=user).count() >= settings.NPDA_RESET_EMAILS_PER_ACCOUNT:
        return "not sent: the account's emails for this hour were sent"
    if ip_address and sent.filter(ip_address=ip_address).count() >= (
        settings.NPDA_RESET_EMAILS_PER_ADDRESS
    ):
        return "not sent: the address's emails for this hour were sent"
    return ""


def minutes_to_wait(username: str, ip_address: str | None) -> int:
    """Whole minutes until the lockout of this account or address ends (at least 1)."""
    from axes.models import AccessAttempt

    last = AccessAttempt.objects.filter(Q(username=username) | Q(ip_address=ip_address)).aggregate(
        last=Max("attempt_time")
    )["last"]
    ends = (last or timezone.now()) + settings.AXES_COOLOFF_TIME
    return max(1, math.ceil((ends - timezone.now()).total_seconds() / 60))


def lockout_response(
    request: HttpRequest, original_response=None, credentials=None
) -> HttpResponse:
    from npda.accounts.activity import client_ip

    minutes = minutes_to_wait(lockout_username(request, credentials), client_ip(request))
    return render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes, "attempts": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
