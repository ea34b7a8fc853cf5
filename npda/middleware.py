"""Project middleware."""

import json
import time
from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import (
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotAllowed,
    HttpResponseNotFound,
)
from django.middleware.gzip import GZipMiddleware
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import get_conditional_response, set_response_etag

API_PREFIX = "/api/"
API_CACHE_CONTROL = "public, max-age=300"


class ApiCacheHeadersMiddleware:
    """Every open data API response has an ETag and Cache-Control, including the schema and
    docs pages that the API library renders itself; a matching If-None-Match gets 304. The
    API's own views set theirs before doing any work (see npda.api)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX):
            return response
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = API_CACHE_CONTROL
        if not response.has_header("ETag") and not response.streaming:
            set_response_etag(response)
            if request.method in ("GET", "HEAD") and response.status_code == 200:
                return get_conditional_response(request, etag=response["ETag"], response=response)
        return response


class DashGZipMiddleware(GZipMiddleware):
    """Gzip the Dash apps' layouts and callback answers (a layout is 200 KB of JSON, 50 KB
    gzipped). Only there: they hold no secret, whereas compressing pages that carry a CSRF
    token would open them to BREACH."""

    def process_response(self, request, response):
        if not request.path.startswith("/django_plotly_dash/"):
            return response
        return super().process_response(request, response)


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
        from npda.activity import record_activity
        from npda.models import ActivityType

        record_activity(request, ActivityType.SESSION_EXPIRED, user=request.user, success=True)
        logout(request)
        messages.info(request, f"You were logged out {why}. Log in again to carry on.")
        if request.method != "GET" or request.path.startswith("/django_plotly_dash/"):
            return HttpResponseForbidden(f"Your session ended {why}: reload the page.")
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('login')}?{query}")


class DashGuardMiddleware:
    """django-plotly-dash's URLs, narrowed to what our pages use: each registered app's page,
    layout, dependencies, component bundles and callback endpoint. Anything else (unknown
    apps, instances, `add_stateless_apps`, `_dash-routes`) is a 404, and a callback request
    that is not a JSON object naming one of the app's callbacks is a 400, so that no request,
    least of all an anonymous one, reaches the library's code paths that fail with a 500 or
    write to the database. A callback leaves the session as it found it."""

    PREFIX = "/django_plotly_dash/app/"
    PARTS = ("", "_dash-layout", "_dash-dependencies", "_dash-update-component")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/django_plotly_dash/"):
            return self.get_response(request)
        name, _, rest = request.path.removeprefix(self.PREFIX).partition("/")
        if not request.path.startswith(self.PREFIX) or name not in _dash_callbacks_by_app():
            return HttpResponseNotFound("No such Dash app.")
        if rest.rstrip("/") not in self.PARTS and not rest.startswith("_dash-component-suites/"):
            return HttpResponseNotFound("No such Dash endpoint.")
        if rest != "_dash-update-component":
            if request.method not in ("GET", "HEAD"):
                return HttpResponseNotAllowed(["GET", "HEAD"])
            return self.get_response(request)
        problem = _callback_problem(request, _dash_callbacks_by_app()[name])
        if problem:
            return HttpResponseBadRequest(problem)
        modified = request.session.modified
        had_state = DPD_SESSION_KEY in request.session
        response = self.get_response(request)
        # django-plotly-dash stores its (for our apps always empty) state in the session on
        # every callback, which would write a session row for every anonymous visitor.
        if not had_state and request.session.get(DPD_SESSION_KEY) == {}:
            del request.session[DPD_SESSION_KEY]
            request.session.modified = modified
        return response


DPD_SESSION_KEY = "django_plotly_dash"


@lru_cache(maxsize=1)
def _dash_callbacks_by_app() -> dict[str, frozenset[str]]:
    """Each registered DjangoDash app's callback output keys (as the browser names them)."""
    from django_plotly_dash.dash_wrapper import usable_apps

    return {
        name: frozenset(app.as_dash_instance().callback_map) for name, app in usable_apps.items()
    }


def _callback_problem(request, callbacks: frozenset[str]) -> str:
    if request.method != "POST":
        return "Callbacks are POST requests."
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        return "The request body is not JSON."
    if not isinstance(body, dict) or body.get("output") not in callbacks:
        return "The request does not name a callback of this app."
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not all(
        isinstance(i, dict) and isinstance(i.get("id"), str) and isinstance(i.get("property"), str)
        for i in inputs
    ):
        return "inputs must be a list of {id, property, value}."
    if not isinstance(body.get("outputs"), list | dict):
        return "outputs are missing."
    return ""


class PrivateNoStoreMiddleware:
    """`Cache-Control: no-store` on every response to a signed-in person: their pages and
    downloads can hold NHS numbers, dates of birth or unpublished results, which no browser or
    proxy cache may keep. Published, identical-for-everyone answers keep their caching: the open
    data API and the immutable map shapes."""

    SHARED = ("/api/", "/boundaries/", "/static/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        private = user is not None and user.is_authenticated
        if private and not request.path.startswith(self.SHARED):
            if "no-store" not in response.get("Cache-Control", ""):
                response["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
        return response
