"""Worlds built once per test process and copied into each test that asks for one (issue 20).

Many integration tests start from the same small world: five units of 40 children scored and
released, say. Building it (factories, scoring, disclosure control over every area) costs 2-7 s
a test; copying its rows back costs a tenth of that. A test runs inside a transaction that is
rolled back, so the rows a world's build wrote are found by their transaction ids (`xmin`):
every row written after the build's first savepoint. They are kept in memory (binary COPY) with
the build's return value, and each later test gets the same rows, the same primary keys, and a
deep copy of the value.

If the rows cannot go back as they were (a row of the same key is already there, because the
test made it first), the world is built afresh for that test, as it would have been without
this module: a test never sees a different world for asking for it in a different order.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import psycopg
from django.db import IntegrityError, connection, transaction

T = TypeVar("T")


@dataclass
class _Kept:
    rows: dict[str, bytes]  # table -> its rows written by the build, as binary COPY
    ids: dict[str, list[int]]  # table -> the ids of those rows (tables with an id)
    value: object


_KEPT: dict[str, _Kept] = {}


def world(name: str, build: Callable[[], T]) -> T:
    """The world `name` in this test's transaction: built by `build` the first time in this
    process, copied back after."""
    kept = _KEPT.get(name)
    if kept is not None and _copied_back(kept):
        return copy.deepcopy(kept.value)
    if kept is not None:  # the test's own rows are in the way: build it as if new
        return build()
    with transaction.atomic():  # a savepoint: the build's rows carry its id or a later one
        first = _transaction_id()
        value = build()
        rows, ids = _rows_since(first)
    _KEPT[name] = _Kept(rows, ids, copy.deepcopy(value))
    return value


def _transaction_id() -> int:
    """The id of the current (sub)transaction, as a row written now would carry it."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS world_marker (x int)")
        cursor.execute("INSERT INTO world_marker VALUES (1) RETURNING xmin::text::bigint")
        return cursor.fetchone()[0]


def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True))


def _rows_since(first: int) -> tuple[dict[str, bytes], dict[str, list[int]]]:
    rows, ids = {}, {}
    with connection.cursor() as cursor:
        for table in _tables():
            written = f'SELECT * FROM "{table}" WHERE xmin::text::bigint >= {first}'
            cursor.execute(f"SELECT count(*) FROM ({written}) w")
            if not cursor.fetchone()[0]:
                continue
            with cursor.copy(f"COPY ({written}) TO STDOUT (FORMAT BINARY)") as out:
                rows[table] = b"".join(bytes(block) for block in out)
            if _sequence(cursor, table):
                cursor.execute(f"SELECT id FROM ({written}) w")
                ids[table] = [row[0] for row in cursor.fetchall()]
    return rows, ids


def _sequence(cursor, table: str) -> str | None:
    """The sequence of the table's `id` column (None: no such column)."""
    cursor.execute(
        "SELECT pg_get_serial_sequence(%s, 'id') FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = %s AND column_name = 'id'",
        [f'"{table}"', table],
    )
    found = cursor.fetchone()
    return found[0] if found else None


def _copied_back(kept: _Kept) -> bool:
    """The world's rows written again in a savepoint, given up if a row is in the way. A row
    the build changed (an audit period it opened, say) replaces the row of the same id."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # Rows as they were written: no trigger fires (row history, protections, and the
            # foreign keys, which the rows met when they were written). Undone with the
            # savepoint if a row is in the way.
            cursor.execute("SET session_replication_role = replica")
            for table, ids in kept.ids.items():
                cursor.execute(f'DELETE FROM "{table}" WHERE id = ANY(%s)', [ids])
            for table, data in kept.rows.items():
                with cursor.copy(f'COPY "{table}" FROM STDIN (FORMAT BINARY)') as into:
                    into.write(data)
            cursor.execute("SET session_replication_role = DEFAULT")
            for table, ids in kept.ids.items():
                # A sequence set back since (a snapshot restored) must not hand out these ids.
                cursor.execute(
                    "SELECT setval(s, %s) FROM pg_get_serial_sequence(%s, 'id') s "
                    "WHERE (SELECT last_value FROM pg_sequences "
                    "       WHERE schemaname || '.' || sequencename = s) < %s",
                    [max(ids), f'"{table}"', max(ids)],
                )
    except (IntegrityError, psycopg.errors.IntegrityError):
        return False
    return True
