"""Security middleware: NUL characters refused, sessions that time out, two-factor for every
account, and no-store for signed-in people."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import (
    HttpResponseBadRequest,
    HttpResponseForbidden,
    QueryDict,
    UnreadablePostError,
)
from django.shortcuts import redirect
from django.urls import reverse

NUL = "\x00"
DASH_PREFIX = "/django_plotly_dash/"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def bad_request(reason: str) -> HttpResponseBadRequest:
    """A 400 with a short plain-text reason."""
    return HttpResponseBadRequest(reason, content_type="text/plain; charset=utf-8")


class NulCharacterMiddleware:
    """Answers 400 to a request with a NUL character in its path, its query string (keys or
    values) or a form's fields (keys or values, not file contents). PostgreSQL cannot store a
    NUL in text, so one that reaches a query is a 500 (security issue 19: `/units/?unit=%00`,
    admin list filters, login forms); here no view or ORM query ever sees one. JSON bodies and
    Dash callbacks are left to the Dash guard, which checks them against the app's callbacks."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = nul_problem(request)
        if problem:
            return bad_request(problem)
        return self.get_response(request)


def nul_problem(request) -> str:
    if NUL in request.path or _has_nul(request.GET):
        return "The request's address contains a NUL character."
    if _reads_form(request) and _has_nul(_form_fields(request)):
        return "The request's form data contains a NUL character."
    return ""


def _reads_form(request) -> bool:
    return (
        request.method == "POST"
        and request.content_type in FORM_TYPES
        and not request.path.startswith(DASH_PREFIX)
    )


def _form_fields(request):
    """The form's non-file fields, parsed with the project's upload handlers (the size limit
    included) as the view would; a body the client stopped sending is the view's to answer."""
    try:
        return request.POST
    except UnreadablePostError:
        return QueryDict()


def _has_nul(fields) -> bool:
    return any(NUL in key or any(NUL in value for value in fields.getlist(key)) for key in fields)


class TwoFactorMiddleware:
    """Two-factor authentication for every account (ADR 0015): a session that has passed the
    password but not the code reaches only the two-factor pages, logging out, static files and
    the open data API (published figures, the same for everyone). Pages redirect to the code
    page and come back; anything else (Dash callbacks, forms) is refused."""

    OPEN = ("/accounts/two-factor/", "/accounts/logout/", "/static/", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(self.OPEN)
        ):
            if request.method != "GET" or request.path.startswith("/django_plotly_dash/"):
                return HttpResponseForbidden("Enter your two-factor code first.")
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('two-factor')}?{query}")
        return self.get_response(request)


LOGIN_AT, LAST_SEEN = "npda_login_at", "npda_last_seen"


class SessionTimeoutMiddleware:
    """Ends a signed-in session after NPDA_SESSION_IDLE_MINUTES without a request, or
    NPDA_SESSION_MAX_HOURS after it began (an audit row says which); the person is sent to log
    in again and comes back to the page they asked for."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            ended = self._ended(request.session, time.time())
            if ended:
                return self._log_out(request, ended)
        return self.get_response(request)

    @staticmethod
    def _ended(session, now: float) -> str:
        login_at = session.setdefault(LOGIN_AT, now)
        last_seen = session.get(LAST_SEEN, now)
        if now - login_at > settings.NPDA_SESSION_MAX_HOURS * 3600:
            return f"after {settings.NPDA_SESSION_MAX_HOURS} hours"
        if now - last_seen > settings.NPDA_SESSION_IDLE_MINUTES * 60:
            return f"after {settings.NPDA_SESSION_IDLE_MINUTES} minutes without activity"
        if now - last_seen > 30 or LAST_SEEN not in session:  # a session write at most each 30 s
            session[LAST_SEEN] = now
        return ""

    @staticmethod
    def _log_out(request, why: str):
        from npda.accounts.activity import record_activity
        from npda.data_model.models import ActivityType

        record_activity(request, ActivityType.SESSION_EXPIRED, user=request.user, success=True)
        logout(request)
        messages.info(request, f"You were logged out {why}. Log in again to carry on.")
        if request.method != "GET" or request.path.startswith("/django_plotly_dash/"):
            return HttpResponseForbidden(f"Your session ended {why}: reload the page.")
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('login')}?{query}")


class PrivateNoStoreMiddleware:
    """`Cache-Control: no-store` on every response to a signed-in person: their pages and
    downloads can hold NHS numbers, dates of birth or unpublished results, which no browser or
    proxy cache may keep. Published, identical-for-everyone answers keep their caching: the open
    data API and the immutable map shapes, and files drawn from published releases (they mark
    themselves `published`: npda.pages.published_files)."""

    SHARED = ("/api/", "/boundaries/", "/static/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        private = user is not None and user.is_authenticated
        shared = request.path.startswith(self.SHARED) or getattr(response, "published", False)
        if private and not shared:
            if "no-store" not in response.get("Cache-Control", ""):
                response["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
        return response
