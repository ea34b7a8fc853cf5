"""Worlds built once per test process and copied back into later tests (tests/worlds.py)."""

import pytest
from django.db import transaction

from aggregation.services import compute_kpis
from npda.data_model import models as m
from tests.kpi_cohort import Cohort, E, hba1c
from tests.worlds import world

pytestmark = pytest.mark.django_db


def test_a_world_comes_back_with_the_same_rows_and_keys_without_being_built_again():
    builds = []

    def build():
        builds.append(1)
        cohort = Cohort("PZ041")
        children = [cohort.child(rows=(hba1c(60 + i),)) for i in range(3)]
        compute_kpis(cohort.period, calculation_date=E)
        return [child.pk for child in children]

    def rows():
        return (sorted(m.Patient.objects.values_list("pk", "nhs_number")),
                sorted(m.KPI.objects.values_list("pk", "patient_id", "kpi_25")))  # fmt: skip

    with transaction.atomic():  # as one test: its rows are rolled back after it
        first = world("three children scored", build)
        seen = rows()
        transaction.set_rollback(True)
    assert not m.Patient.objects.filter(pk__in=first).exists()
    with transaction.atomic():  # as a later test
        again = world("three children scored", build)
        assert (again, rows(), len(builds)) == (first, seen, 1)
        assert m.KPI.objects.filter(patient_id__in=again).count() == 3
        transaction.set_rollback(True)
