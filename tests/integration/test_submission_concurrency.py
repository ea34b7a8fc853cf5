"""Two uploads for one unit at the same time are serialised, never interleaved."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections

from npda.data_model import models as m
from npda.submissions.locks import UPLOAD_LOCK_NAMESPACE
from npda.submissions.services import import_submission
from tests.conftest import seed_lookups
from tests.csv_files import make_csv, row
from tests.factories import AuditPeriodFactory, synthetic_nhs_number


def file_of(n: int, offset: int) -> bytes:
    return make_csv(
        [
            row(
                nhs_number=synthetic_nhs_number(offset + i),
                visit_date=f"{10 + v}/06/2024",
                hba1c_date=f"{10 + v}/06/2024",
            )
            for i in range(n)
            for v in range(3)
        ]
    )


def waiting_for_upload_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND classid = %s",
            [UPLOAD_LOCK_NAMESPACE],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_for_one_unit_are_serialised():
    seed_lookups()
    unit = m.PaediatricDiabetesUnit.objects.get(pz_code="PZ041")
    period = AuditPeriodFactory(year=2024, is_open=True)
    files = {"A": file_of(3, 0), "B": file_of(5, 100)}
    results, failures = {}, []

    def upload(name: str) -> None:
        try:
            results[name] = import_submission(
                files[name], f"{name}.csv", unit, period, today=dt.date(2025, 6, 1)
            )
        except Exception as exc:  # reported below
            failures.append(exc)
        finally:
            connections.close_all()

    # Hold the unit's lock so that both uploads are ready and waiting at the same moment.
    key = int(unit.pz_code[2:]) * 10_000 + 2024
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [UPLOAD_LOCK_NAMESPACE, key])
        threads = [threading.Thread(target=upload, args=(name,)) for name in files]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while waiting_for_upload_lock() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waiting_for_upload_lock() == 2
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [UPLOAD_LOCK_NAMESPACE, key])
    for thread in threads:
        thread.join(timeout=60)

    assert failures == [] and {r.accepted for r in results.values()} == {True}
    submissions = m.Submission.objects.filter(paediatric_diabetes_unit=unit)
    assert submissions.count() == 2
    active = submissions.get(is_active=True)
    # The active upload has exactly its own children and visits: nothing of the other one.
    assert active.patients.count() == active.patient_count
    assert m.Visit.objects.filter(submission=active).count() == active.visit_count
    assert m.Visit.objects.exclude(submission=active).count() == 0
    assert active.visit_count == 3 * active.patient_count
