"""The login audit trail: every login, failed login and logout becomes a VisitActivity row."""

import ipaddress

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from npda.data_model.models import ActivityType, NPDAUser, VisitActivity


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: behind NPDA_TRUSTED_PROXY_HOPS proxies, the entry of
    X-Forwarded-For that the outermost proxy appended; entries left of it are the client's own
    claims and are never used. The connecting address when there is no such entry."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    hops = settings.NPDA_TRUSTED_PROXY_HOPS
    if not hops:
        return remote
    forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [p for p in forwarded if p]
    if len(forwarded) < hops:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-hops]))
    except ValueError:
        return remote


def record_activity(
    request: HttpRequest | None,
    activity: ActivityType,
    *,
    user: NPDAUser | None,
    success: bool,
    detail: str = "",
) -> VisitActivity:
    user_agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""
    return VisitActivity.objects.create(
        user=user,
        activity=activity,
        success=success,
        ip_address=client_ip(request),
        user_agent=user_agent[:500],
        detail=detail[:200],
    )


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs) -> None:
    record_activity(request, ActivityType.LOGIN, user=user, success=True)


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        record_activity(request, ActivityType.LOGOUT, user=user, success=True)


@receiver(user_locked_out)
def _on_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    user = get_user_model().objects.by_email(username)
    record_activity(request, ActivityType.LOCKED_OUT, user=user, success=False)


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    user = get_user_model().objects.by_email((credentials or {}).get("username", ""))
    record_activity(request, ActivityType.LOGIN_FAILED, user=user, success=False)
