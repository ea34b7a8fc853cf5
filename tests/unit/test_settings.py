"""Settings come from the environment and fail loudly in production (checked in a fresh process)."""

import os
import subprocess
import sys

from django.conf import settings


def run_settings(**environment: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "DEBUG", "NPDA_ENV"}
    }
    env.update(environment)
    code = "import npda.settings as s; print(s.DEBUG, s.PRODUCTION)"
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )


def test_production_without_required_variables_fails_naming_them():
    result = run_settings(NPDA_ENV="production")
    assert result.returncode != 0
    assert "Missing required environment variable(s) for production: " in result.stderr
    assert "SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS" in result.stderr


def test_production_with_required_variables_starts_with_debug_off():
    result = run_settings(
        NPDA_ENV="production",
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://db/npda",
        ALLOWED_HOSTS="npda.example",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def test_debug_is_off_unless_asked_for():
    assert run_settings().stdout.split() == ["False", "False"]
    assert run_settings(DEBUG="true").stdout.split() == ["True", "False"]


def test_a_malformed_boolean_is_an_error():
    result = run_settings(DEBUG="maybe")
    assert result.returncode != 0 and "DEBUG must be true or false" in result.stderr


def test_proxy_hops_are_a_whole_number_and_the_old_switch_is_refused():
    result = run_settings(NPDA_TRUSTED_PROXY_HOPS="one")
    assert result.returncode != 0 and "NPDA_TRUSTED_PROXY_HOPS must be a whole number" in (
        result.stderr
    )
    result = run_settings(NPDA_TRUST_X_FORWARDED_FOR="true")
    assert result.returncode != 0 and "set NPDA_TRUSTED_PROXY_HOPS" in result.stderr
    assert run_settings(NPDA_TRUSTED_PROXY_HOPS="2").returncode == 0


def test_production_redirects_to_https_unless_told_there_is_no_tls():
    production = dict(
        NPDA_ENV="production",
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://db/npda",
        ALLOWED_HOSTS="npda.example",
    )
    code = "import npda.settings as s; print(s.SECURE_SSL_REDIRECT)"

    def redirect(**extra) -> str:
        env = {k: v for k, v in os.environ.items() if k not in {"NPDA_ENV", "NPDA_SSL_REDIRECT"}}
        env.update(production, **extra)
        result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                text=True, cwd=settings.BASE_DIR, check=False)  # fmt: skip
        return result.stdout.strip() or result.stderr

    assert redirect() == "True"
    assert redirect(NPDA_SSL_REDIRECT="0") == "False"
    assert "NPDA_SSL_REDIRECT must be true or false" in redirect(NPDA_SSL_REDIRECT="maybe")


def test_the_apps_connections_never_jit_compile_and_keep_the_urls_own_options():
    """ADR 0030: `-c jit=off` is added to what DATABASE_URL asks for, not in place of it."""
    code = "import npda.settings as s; print(s.DATABASES['default']['OPTIONS']['options'])"
    env = {**os.environ, "DATABASE_URL": "postgres://db/npda?options=-c%20statement_timeout%3D5000"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                            cwd=settings.BASE_DIR, check=False)  # fmt: skip
    assert result.stdout.strip() == "-c statement_timeout=5000 -c jit=off", result.stderr
