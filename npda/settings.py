"""Settings for the NPDA platform, all read from environment variables here and nowhere else.

NPDA_ENV selects the mode: "development" (default), "test" or "production". In production every
required variable must be set, otherwise start-up fails with the list of what is missing.
"""

import base64
import datetime as dt
import hashlib
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

NPDA_ENV = os.environ.get("NPDA_ENV", "development")
if NPDA_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"NPDA_ENV must be development, test or production, not {NPDA_ENV!r}"
    )
PRODUCTION = NPDA_ENV == "production"

_REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS")
_missing = [name for name in _REQUIRED_IN_PRODUCTION if PRODUCTION and not os.environ.get(name)]
if _missing:
    raise ImproperlyConfigured(
        "Missing required environment variable(s) for production: " + ", ".join(_missing)
    )


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name, "")
    if value == "":
        return default
    if not value.strip().isdigit() or int(value) < minimum:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least {minimum}")
    return int(value)


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or "development-only-insecure-key-never-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Local PostgreSQL over its Unix socket, as set up by scripts/setup.sh.
DEFAULT_DATABASE_URL = "postgres://%2Fvar%2Frun%2Fpostgresql/npda"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        engine="django.contrib.gis.db.backends.postgis",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_npda")}
# No JIT compilation for the app's queries (ADR 0030): short queries over one unit's children
# whose row estimates are off (a table just refilled, before autovacuum samples it) were
# compiled for over a second each; a page's queries never gain that back.
_options = DATABASES["default"].setdefault("OPTIONS", {})
_options["options"] = f"{_options.get('options', '')} -c jit=off".strip()

# Reference data (ONS boundaries, RCPCH organisation lists); never copied into the repository.
# Default: ../shared/data beside this checkout, else the workplace's shared folder (so that a
# clone made elsewhere, such as CI's temporary clone, still finds it).
_REFERENCE_DATA_CANDIDATES = [BASE_DIR.parent / "shared" / "data", Path("/work/shared/data")]
NPDA_REFERENCE_DATA = Path(
    os.environ.get("NPDA_REFERENCE_DATA")
    or next((p for p in _REFERENCE_DATA_CANDIDATES if p.is_dir()), _REFERENCE_DATA_CANDIDATES[0])
).resolve()

# Map tiles are optional: the platform must work offline, so no tile layer unless configured.
NPDA_MAP_TILE_URL = os.environ.get("NPDA_MAP_TILE_URL", "")
NPDA_MAP_TILE_ATTRIBUTION = os.environ.get("NPDA_MAP_TILE_ATTRIBUTION", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.gis",
    "django_plotly_dash.apps.DjangoPlotlyDashConfig",
    "ninja",  # serves the API docs' scripts from our static files (no CDN: works offline)
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "pgtrigger",  # the triggers of pghistory: row changes recorded (ADR 0028)
    "pghistory",
    "npda.data_model.apps.NpdaConfig",  # the data model (app label "npda")
    "npda.accounts.apps.AccountsConfig",
    "npda.submissions.apps.SubmissionsConfig",
    "npda.synthetic.apps.SyntheticConfig",
    "npda.pages.apps.PagesConfig",
    "npda.audit_team.apps.AuditTeamConfig",
    "npda.workspace.apps.WorkspaceConfig",
    "boundaries.apps.BoundariesConfig",
    "aggregation.apps.AggregationConfig",
    "dashboards.apps.DashboardsConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "npda.accounts.middleware.NulCharacterMiddleware",  # before anything reads the request's fields
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "npda.pages.middleware.DashGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Inside sessions: it keeps callbacks from writing one.
    "npda.accounts.dash_guard.DashGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before two-factor: an old session just ends.
    "npda.accounts.middleware.SessionTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "npda.accounts.middleware.TwoFactorMiddleware",  # a signed-in session needs its second factor
    "npda.accounts.middleware.PrivateNoStoreMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_plotly_dash.middleware.BaseMiddleware",
    "npda.api.middleware.ApiCacheHeadersMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it turns a lockout into the lockout page
]

ROOT_URLCONF = "npda.urls"
WSGI_APPLICATION = "npda.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_USER_MODEL = "npda.NPDAUser"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out account or address
    "npda.accounts.auth.CaseInsensitiveEmailBackend",
]
# Lockout (django-axes, site and admin alike): after NPDA_LOCKOUT_ATTEMPTS failed logins for one
# account, or from one address, within NPDA_LOCKOUT_MINUTES, either is refused for that long.
AXES_FAILURE_LIMIT = env_int("NPDA_LOCKOUT_ATTEMPTS", 5, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("NPDA_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "npda.accounts.auth.lockout_username"
# The trusted-proxy rule of the audit trail:
AXES_CLIENT_IP_CALLABLE = "npda.accounts.activity.client_ip"
AXES_LOCKOUT_CALLABLE = "npda.accounts.auth.lockout_response"
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "NPDA"
# A signed-in session ends after NPDA_SESSION_IDLE_MINUTES without a request, and in any case
# NPDA_SESSION_MAX_HOURS after logging in (both enforced on the server).
NPDA_SESSION_IDLE_MINUTES = env_int("NPDA_SESSION_IDLE_MINUTES", 30, minimum=1)
NPDA_SESSION_MAX_HOURS = env_int("NPDA_SESSION_MAX_HOURS", 12, minimum=1)
SESSION_COOKIE_AGE = NPDA_SESSION_MAX_HOURS * 3600
OTP_TOTP_THROTTLE_FACTOR = 1  # each wrong code doubles the wait before the next is checked
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password reset links by email: printed to the console unless an SMTP server is configured.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "NPDA <no-reply@npda.example>")
PASSWORD_RESET_TIMEOUT = 60 * 60  # a reset link works for an hour
# At most this many reset emails an hour to one account, and for requests from one address.
NPDA_RESET_EMAILS_PER_ACCOUNT = env_int("NPDA_RESET_EMAILS_PER_ACCOUNT", 3, minimum=1)
NPDA_RESET_EMAILS_PER_ADDRESS = env_int("NPDA_RESET_EMAILS_PER_ADDRESS", 10, minimum=1)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "landing"  # a unit's staff to their workspace, the audit team to theirs
LOGOUT_REDIRECT_URL = "home"
# The number of proxies of our own in front of the site, each appending to X-Forwarded-For:
# the client is the address the outermost one saw (that many entries from the right), never
# the list's first entry, which the client writes. 0: the connecting address (REMOTE_ADDR).
if "NPDA_TRUST_X_FORWARDED_FOR" in os.environ:
    raise ImproperlyConfigured(
        "NPDA_TRUST_X_FORWARDED_FOR is gone: set NPDA_TRUSTED_PROXY_HOPS to the number of "
        "proxies in front of the site (1 for one reverse proxy)."
    )
NPDA_TRUSTED_PROXY_HOPS = env_int("NPDA_TRUSTED_PROXY_HOPS", 0)

# The Chromium that draws chart and map images (ADR 0017); empty when none is installed, and
# then image and PDF downloads say so.
NPDA_CHROMIUM = os.environ.get("NPDA_CHROMIUM") or shutil.which("chromium") or ""
if os.environ.get("NPDA_CHROMIUM") and not os.access(NPDA_CHROMIUM, os.X_OK):
    raise ImproperlyConfigured(f"NPDA_CHROMIUM={NPDA_CHROMIUM!r} is not an executable file")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "django_plotly_dash.finders.DashAssetFinder",
    "django_plotly_dash.finders.DashComponentFinder",
    "django_plotly_dash.finders.DashAppDirectoryFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "npda.storage.StaticFilesStorage"},
}
# Static files are served from STATIC_ROOT, so `collectstatic` runs before serving or testing
# (WhiteNoise's finder mode trips over django-plotly-dash's finders).

# Dash: serve React and component bundles from here (no CDN), with Dash 3 module names.
PLOTLY_DASH = {"serve_locally": True, "cache_timeout_initial_arguments": 60}
PLOTLY_COMPONENTS = ["dash", "dpd_components", "dash_leaflet"]
X_FRAME_OPTIONS = "SAMEORIGIN"

# Debian 12 ships GDAL 3.6; the platform never parses user-supplied spatial reference strings.
# security.W019: X-Frame-Options stays SAMEORIGIN (not DENY) because the reference map is a
# django-plotly-dash app in an iframe of our own page; CSP frame-ancestors 'self' says the same.
SILENCED_SYSTEM_CHECKS = ["gis.W001", "security.W019"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# In-process cache (per server process): rendered open data answers, keyed by their ETag.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("NPDA_CACHE_MAX_ENTRIES", "2000"))},
    }
}

# Security headers. In production: HTTPS only (redirect, HSTS, secure cookies); behind our own
# proxy (NPDA_TRUSTED_PROXY_HOPS > 0) its X-Forwarded-Proto says whether the client used HTTPS.
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
# Off only where nothing speaks TLS at all: the benchmarks' local gunicorn (bench/maps.py).
SECURE_SSL_REDIRECT = env_bool("NPDA_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = 31_536_000 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_REFERRER_POLICY = "same-origin"
if NPDA_TRUSTED_PROXY_HOPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy (django-csp): scripts from this site only, plus the one inline script
# django-plotly-dash writes (Dash's renderer start-up, allowed by its hash: a test checks it is
# still Dash's). Styles may be inline: Leaflet and Dash components set them at run time.
DASH_RENDERER_SCRIPT = "var renderer = new DashRenderer();"
DASH_RENDERER_HASH = (
    "'sha256-"
    + base64.b64encode(hashlib.sha256(DASH_RENDERER_SCRIPT.encode()).digest()).decode()
    + "'"
)
_TILE_ORIGIN = "{0.scheme}://{0.netloc}".format(urlsplit(NPDA_MAP_TILE_URL.replace("{s}", "a")))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF, DASH_RENDERER_HASH],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *([_TILE_ORIGIN] if NPDA_MAP_TILE_URL else [])],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [SELF],
        "worker-src": [SELF, "blob:"],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "apscheduler": {"level": "WARNING"},  # it logs every 30 s poll; our jobs log their work
        # PDF and image drawing log each step at INFO: a report would write a dozen lines.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "kaleido": {"level": "WARNING"},
        "choreographer": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # a line for every login, as the audit trail has it
    },
}

# An upload is a checked draft until it is used or discarded; one left this many days is
# discarded (issue 21).
NPDA_DRAFT_DAYS = env_int("NPDA_DRAFT_DAYS", 7, minimum=1)

# Uploads: CSV files up to this size are accepted (csv-submission.md; default 20 MB).
NPDA_UPLOAD_SIZE_LIMIT_MB = float(os.environ.get("NPDA_UPLOAD_SIZE_LIMIT_MB", "20"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "npda.submissions.size_limit.SizeLimitUploadHandler",  # stops an upload past the limit
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Files drawn from published releases (images, PDF reports, area files, whole-release API dumps)
# are drawn once and kept here (ADR 0019), at most this many megabytes (the oldest go first);
# each server process draws at most NPDA_RENDERS_PER_WORKER at once.
NPDA_PUBLISHED_FILES_DIR = Path(
    os.environ.get("NPDA_PUBLISHED_FILES_DIR", MEDIA_ROOT / "published")
)
NPDA_PUBLISHED_FILES_MAX_MB = env_int("NPDA_PUBLISHED_FILES_MAX_MB", 2048, minimum=1)
NPDA_RENDERS_PER_WORKER = env_int("NPDA_RENDERS_PER_WORKER", 1, minimum=1)

# KPI jobs (aggregation app): the nightly full recompute (cron, server time zone), how often the
# scheduler picks up unit recomputes queued by uploads, and how often a failing one is retried.
NPDA_KPI_NIGHTLY_CRON = os.environ.get("NPDA_KPI_NIGHTLY_CRON", "30 2 * * *")
NPDA_KPI_QUEUE_POLL_SECONDS = int(os.environ.get("NPDA_KPI_QUEUE_POLL_SECONDS", "30"))
NPDA_KPI_MAX_ATTEMPTS = int(os.environ.get("NPDA_KPI_MAX_ATTEMPTS", "5"))
