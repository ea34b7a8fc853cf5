"""When the row-history triggers (ADR 0028) record nothing: a write that is not a change made
by a person to a child's data, such as a whole version written by an upload, confirm or restore
(kept whole in SubmissionRecords instead), or a value derived from others.

The triggers test a transaction-local setting in their WHEN clause, which PostgreSQL evaluates
before calling the trigger at all. (`pgtrigger.ignore` calls a PL/pgSQL function per row that
opens a subtransaction: about 0.1 s of the 0.45 s it took to make the largest unit's 13,000
rows its data; ADR 0028, amended.)
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pgtrigger
from django.db import connection, transaction

SETTING = "npda.no_row_history"
RECORDING = f"current_setting('{SETTING}', true) IS DISTINCT FROM 'on'"


class Recording(pgtrigger.Condition):
    """An insert or delete trigger's condition: unless the transaction said not to record."""

    sql = RECORDING


class AnyChangeRecording(pgtrigger.AnyChange):
    """An update trigger's condition: a tracked field changed, unless the transaction said not
    to record. (pghistory fills in the tracked fields, as for its own AnyChange.)"""

    def resolve(self, model) -> str:
        return f"(({super().resolve(model)}) AND {RECORDING})"


@contextmanager
def without_row_history() -> Iterator[None]:
    """A block whose writes the row history does not record. The setting lasts to the end of
    the transaction; within an outer transaction the block is a savepoint, so the setting is
    undone with it on a failure and switched off after it on success."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [SETTING])
        yield
    if connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, '', true)", [SETTING])
