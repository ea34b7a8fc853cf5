"""Logging in: email addresses whatever their case, and the lockout after repeated failures
(django-axes, configured in settings: NPDA_LOCKOUT_ATTEMPTS within NPDA_LOCKOUT_MINUTES)."""

import math

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


class CaseInsensitiveEmailBackend(ModelBackend):
    """Email login, whatever the case the user types (the manager looks up email__iexact)."""


def lockout_username(request: HttpRequest, credentials: dict | None = None) -> str:
    """The account an attempt counts against: the typed email, trimmed and lower-cased, so
    that changing its case does not reset the count."""
    typed = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(typed).strip().lower()


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
    from npda.activity import client_ip

    minutes = minutes_to_wait(lockout_username(request, credentials), client_ip(request))
    return render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes, "attempts": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
