"""Shared set-up for benchmarks: a separate database `npda_bench` on the configured server."""

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = os.environ.get("NPDA_BENCH_DATABASE", "npda_bench")


def setup_django(*, migrate: bool = True) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npda.settings")
    import django
    import psycopg
    from django.conf import settings

    database = settings.DATABASES["default"]
    database["NAME"] = BENCH_DATABASE  # before any connection is opened
    params = {
        "dbname": "postgres",
        "host": database.get("HOST") or None,
        "port": database.get("PORT") or None,
        "user": database.get("USER") or None,
        "password": database.get("PASSWORD") or None,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def without_sign_off(unit, period) -> None:
    """The bench database is the benchmarks' own, and its demo signs off ended years: a
    benchmark that writes a unit's year first takes its sign-off away (it would refuse)."""
    from npda.data_model.models import SignOff

    SignOff.objects.filter(paediatric_diabetes_unit=unit, audit_period=period).delete()


def timed(action: Callable[[], object], repeats: int, before: Callable[[], object] | None = None):
    """Seconds of each run of `action` (`before` runs untimed ahead of each)."""
    seconds = []
    for _ in range(repeats):
        if before is not None:
            before()
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return seconds


def report(label: str, seconds: list[float]) -> None:
    print(
        f"  {label:<46} median {statistics.median(seconds):7.3f} s"
        f"   (min {min(seconds):.3f}, max {max(seconds):.3f}, n={len(seconds)})"
    )
