"""What the row-history triggers record, and what a whole-version write keeps out of it
(ADR 0028, npda.data_model.row_history)."""

import pytest
from django.db import transaction

from npda.data_model import models as m
from npda.data_model.row_history import without_row_history
from tests.factories import SubmissionFactory, VisitFactory

pytestmark = pytest.mark.django_db


def change_hba1c(visit, value) -> None:
    m.Visit.objects.filter(pk=visit.pk).update(hba1c=value)


def events(visit) -> list[str]:
    labels = m.VisitEvent.objects.filter(pgh_obj_id=visit.pk).values_list("pgh_label", flat=True)
    return list(labels)


def test_writes_without_row_history_record_nothing_and_later_writes_are_recorded():
    visit = VisitFactory(submission=SubmissionFactory())
    before = events(visit)
    with without_row_history():  # within the test's transaction: a savepoint
        change_hba1c(visit, 60)
        m.Visit.objects.filter(pk=visit.pk).delete()
        m.Visit.objects.create(**{**_values(visit), "hba1c": 61})
    assert events(visit) == before  # the update, delete and insert: none recorded
    change_hba1c(visit, 62)  # the same transaction, after the block
    assert sorted(events(visit)[len(before) :]) == ["after", "before"]


def test_a_failed_block_without_row_history_leaves_later_writes_recorded():
    visit = VisitFactory(submission=SubmissionFactory())
    before = len(events(visit))
    with pytest.raises(RuntimeError), without_row_history():
        change_hba1c(visit, 60)
        raise RuntimeError("the write failed")
    visit.refresh_from_db()
    assert visit.hba1c is None  # the block was rolled back
    with transaction.atomic():
        change_hba1c(visit, 63)
    assert len(events(visit)) == before + 2


def _values(visit) -> dict:
    return {f.attname: getattr(visit, f.attname) for f in m.Visit._meta.concrete_fields}
