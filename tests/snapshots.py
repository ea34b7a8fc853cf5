"""Database snapshots for tests that need a large world and a live server (issue 20).

A browser test runs against a live server, so its data must be committed, and the database is
emptied after it (a transactional test). Building a national cohort for each such test cost
15-30 s; instead the world is built once per test run and kept as a copy of every table's rows
in a schema of its own (`snapshot_<name>`), which emptying the database does not touch.
Restoring it is one INSERT ... SELECT per table: about a second.
"""

from collections.abc import Callable

from django.db import connection

SCHEMA_PREFIX = "snapshot_"


def _tables() -> list[str]:
    """Every table of the project's models, as Django empties them after a test."""
    return sorted(connection.introspection.django_table_names(only_existing=True))


def _schema(name: str) -> str:
    return f"{SCHEMA_PREFIX}{name}"


def exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [_schema(name)])
        return cursor.fetchone() is not None


def take(name: str) -> None:
    """Copy every table's rows, and every sequence's position, into the snapshot's schema."""
    schema = _schema(name)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        cursor.execute(f'CREATE SCHEMA "{schema}"')
        for table in _tables():
            cursor.execute(f'CREATE TABLE "{schema}"."{table}" AS TABLE public."{table}"')
        cursor.execute(
            f'CREATE TABLE "{schema}".sequences AS '
            "SELECT schemaname || '.' || sequencename AS name, last_value FROM pg_sequences "
            "WHERE schemaname = 'public' AND last_value IS NOT NULL"
        )


def restore(name: str) -> None:
    """Empty every table and put the snapshot's rows back, foreign keys unchecked while they
    arrive (they were consistent when taken), and each sequence where it was."""
    schema = _schema(name)
    tables = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema]
        )
        kept = {row[0] for row in cursor.fetchall()}
        cursor.execute("TRUNCATE " + ", ".join(f'public."{t}"' for t in tables) + " CASCADE")
        cursor.execute("SET session_replication_role = replica")
        try:
            for table in tables:
                if table in kept:
                    cursor.execute(f'INSERT INTO public."{table}" TABLE "{schema}"."{table}"')
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute(f'SELECT name, last_value FROM "{schema}".sequences')
        for sequence, value in cursor.fetchall():
            cursor.execute("SELECT setval(%s, %s)", [sequence, value])


def restored(name: str, build: Callable[[], object]) -> None:
    """The snapshot `name` in the database: built by `build` and taken the first time, then
    restored each time after."""
    if exists(name):
        restore(name)
    else:
        build()
        take(name)


def drop_all() -> None:
    """Forget every snapshot (at the start of a run: the code that built them may have
    changed since)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [SCHEMA_PREFIX + "%"]
        )
        for (schema,) in cursor.fetchall():
            cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
