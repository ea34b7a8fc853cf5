"""One writer at a time per unit and audit period: uploads, drafts made active, restores,
sign-offs and form saves of one unit's year take this lock first."""

from django.db import connection

from npda.data_model.models import AuditPeriod, PaediatricDiabetesUnit

UPLOAD_LOCK_NAMESPACE = 7301


def lock_unit_period(unit: PaediatricDiabetesUnit, period: AuditPeriod) -> None:
    """Serialise the writers of one unit and period until the transaction ends."""
    key = int(unit.pz_code[2:]) * 10_000 + period.start_date.year
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [UPLOAD_LOCK_NAMESPACE, key])
