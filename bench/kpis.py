"""Benchmark: KPI scoring + aggregation at every level on the national synthetic cohort.

Prints the full recompute (scoring every child + all aggregations), a one-unit recompute, and the
time ratio of a 5x cohort (170,000 children). Both cohorts come from `generate_cohort` (seed 1);
a cohort of the right size already in the database (as bench/cohort.py leaves it) is reused.
The database is left holding the 5x cohort.
"""

import time
from statistics import median

from bench import cohort
from bench.common import report, timed

NATIONAL_CHILDREN = cohort.PATIENTS
AUDIT_YEAR = cohort.AUDIT_YEAR
ONE_UNIT = "PZ041"
CLINICAL_TABLES = (
    "npda_kpi",
    "npda_auditprogress",
    "npda_visit",
    "npda_submission_patients",
    "npda_submission",
    "npda_site",
    "npda_patient",
)


def run(repeats: int = 3) -> None:
    from npda.data_model.models import AuditPeriod

    timings = {}
    for children in (NATIONAL_CHILDREN, 5 * NATIONAL_CHILDREN):
        started = time.perf_counter()
        how = "generate_cohort --seed 1, reused"
        if not _generated_cohort_present(children):
            make_cohort(children)
            how = "generate_cohort --seed 1"
        period = AuditPeriod.objects.get(start_date__year=AUDIT_YEAR)
        counts = _cohort_size(period)
        print(
            f"compute_kpis on {counts[0]:,} children, {counts[1]:,} visits ({how}, ready "
            f"in {time.perf_counter() - started:.0f} s), C = E = {period.end_date}"
        )
        timings[children] = measure(period, repeats)
    ratio = median(timings[5 * NATIONAL_CHILDREN]["full"]) / median(
        timings[NATIONAL_CHILDREN]["full"]
    )
    print(f"  5x cohort / national cohort, full recompute time ratio: {ratio:.2f}")


def _cohort_size(period) -> tuple[int, int]:
    from npda.data_model.models import Submission, Visit

    active = Submission.objects.filter(audit_period=period, is_active=True)
    children = active.values("patients").count()
    visits = Visit.objects.filter(submission__in=active).count()
    return children, visits


def _generated_cohort_present(children: int) -> bool:
    """A generate_cohort cohort of this size (as bench/cohort.py leaves it) is reused."""
    from npda.data_model.models import AuditPeriod, Submission
    from npda.synthetic.csv_writer import csv_file_name

    period = AuditPeriod.objects.filter(start_date__year=AUDIT_YEAR).first()
    if period is None:
        return False
    generated = Submission.objects.filter(
        audit_period=period,
        is_active=True,
        file_name__endswith=csv_file_name("", period.slug),  # the generator's file names
    )
    return generated.exists() and abs(_cohort_size(period)[0] - children) < 0.05 * children


def measure(period, repeats: int) -> dict[str, list[float]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from aggregation.services import compute_kpis

    def full() -> None:
        compute_kpis(period, calculation_date=period.end_date)

    def one_unit() -> None:
        compute_kpis(period, [ONE_UNIT], period.end_date)

    full()  # warm-up: the period's first KPI rows
    with CaptureQueriesContext(connection) as queries:
        full()
    seconds = timed(full, repeats, before=vacuum_kpi_tables)
    report(f"full scoring + all aggregations ({len(queries)} statements)", seconds)
    one = timed(one_unit, repeats, before=vacuum_kpi_tables)
    report(f"recompute of one unit ({ONE_UNIT}) + its areas", one)
    return {"full": seconds, "one": one}


def vacuum_kpi_tables() -> None:
    """Untimed, before each run: what autovacuum does soon after a recompute replaced every row
    (the runs are back to back here, so their dead rows would otherwise pile up)."""
    from django.db import connection

    from npda.data_model.models import KPI_AGGREGATION_MODELS

    tables = ["npda_kpi", "npda_auditprogress"]
    tables += [model._meta.db_table for model in KPI_AGGREGATION_MODELS]
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")


def make_cohort(children: int) -> None:
    """A fresh generate_cohort cohort of `children` children (seed 1), analysed."""
    from django.db import connection

    from npda.synthetic.service import generate_cohort

    cohort.empty_clinical_tables()
    generate_cohort(**cohort.COHORT | {"patients": children})
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(CLINICAL_TABLES)}")
