"""Two uploads for one unit at the same time are serialised, never interleaved."""

import datetime as dt
import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, connections

from constants.groups import GroupName
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


# Two people acting on one version at once (found by a probe: both uses of one draft went
# through and every row of the unit's data was there twice; a discard during a use gave a 500).


def at_once(unit, requests: list[tuple[str, Callable[[], int], bool]]) -> dict[str, int]:
    """The requests, each in a thread of its own, started in order while the unit's year is
    locked: one that takes the lock is left waiting for it, one that does not is let finish.
    Then the lock is let go. Their status codes, by name."""
    statuses: dict[str, int] = {}

    def send(name: str, request) -> None:
        try:
            statuses[name] = request()
        finally:
            connections.close_all()

    key = int(unit.pz_code[2:]) * 10_000 + 2024
    threads = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [UPLOAD_LOCK_NAMESPACE, key])
        for name, request, takes_the_lock in requests:
            waiting = waiting_for_upload_lock()
            thread = threading.Thread(target=send, args=(name, request))
            thread.start()
            threads.append(thread)
            if takes_the_lock:
                deadline = time.monotonic() + 20
                while waiting_for_upload_lock() == waiting and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert waiting_for_upload_lock() == waiting + 1, f"{name} is not waiting"
            else:
                thread.join(timeout=60)
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [UPLOAD_LOCK_NAMESPACE, key])
    for thread in threads:
        thread.join(timeout=60)
    return statuses


@pytest.fixture
def unit_with_a_draft():
    """PZ041's data for 2024-25 from one file, and a checked draft of another."""
    from tests.conftest import VerifiedClient
    from tests.factories import user_in_group
    from tests.integration.test_submission_versions import FIRST, SECOND, TODAY, check

    seed_lookups()
    unit = m.PaediatricDiabetesUnit.objects.get(pz_code="PZ041")
    period = AuditPeriodFactory(year=2024, is_open=True)
    nurse = user_in_group(GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS, ["PZ041"])
    first = import_submission(FIRST, "first.csv", unit, period, today=TODAY)
    draft = check(SECOND, unit, period, nurse).draft

    def client():
        signed_in = VerifiedClient(raise_request_exception=False)
        signed_in.force_login(nurse)
        return signed_in

    return unit, period, m.Submission.objects.get(pk=first.submission_id), draft, client


def rows_match_counts(unit) -> bool:
    active = m.Submission.objects.get(paediatric_diabetes_unit=unit, is_active=True)
    return m.Visit.objects.filter(submission=active).count() == active.visit_count


@pytest.mark.django_db(transaction=True)
def test_two_uses_of_one_draft_at_once_make_it_the_data_once(unit_with_a_draft):
    unit, _, _, draft, client = unit_with_a_draft
    use = f"/submissions/{draft.pk}/use/"
    first, second = client(), client()
    statuses = at_once(
        unit,
        [
            ("first", lambda: first.post(use).status_code, True),
            ("second", lambda: second.post(use).status_code, True),
        ],
    )
    assert sorted(statuses.values()) == [302, 409]
    assert draft.events.filter(action="confirmed").count() == 1
    assert rows_match_counts(unit)


@pytest.mark.django_db(transaction=True)
def test_a_discard_while_the_draft_is_being_used_leaves_one_outcome(unit_with_a_draft):
    unit, _, first_version, draft, client = unit_with_a_draft
    user, discarder = client(), client()
    statuses = at_once(unit, [
        ("use", lambda: user.post(f"/submissions/{draft.pk}/use/").status_code, True),
        ("discard", lambda: discarder.post(f"/submissions/{draft.pk}/discard/").status_code,
         False),
    ])  # fmt: skip
    assert statuses == {"discard": 302, "use": 409}  # not a 500
    draft.refresh_from_db()
    first_version.refresh_from_db()
    assert draft.status == "discarded" and first_version.is_active
    assert rows_match_counts(unit)


@pytest.mark.django_db(transaction=True)
def test_two_restores_of_one_version_at_once_restore_it_once(unit_with_a_draft):
    from npda.submissions.versions import confirm_draft

    unit, _, first_version, draft, client = unit_with_a_draft
    confirm_draft(draft, draft.submitted_by)  # the first version is history now
    restore = "/submissions/history/PZ041/2024/restore/"
    data = {"version": first_version.pk, "reason": "the new file lost a child"}
    first, second = client(), client()
    statuses = at_once(
        unit,
        [
            ("first", lambda: first.post(restore, data).status_code, True),
            ("second", lambda: second.post(restore, data).status_code, True),
        ],
    )
    assert sorted(statuses.values()) == [302, 400]
    assert first_version.events.filter(action="restored").count() == 1
    assert rows_match_counts(unit)
