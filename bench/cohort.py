"""Benchmark: the synthetic national cohort (34,000 children, seed 1) into the database and as
CSV files. The target is under 90 s into an empty database on the 2-core machine."""

import tempfile
from datetime import date
from pathlib import Path

from bench.common import report, timed

PATIENTS = 34_000
AUDIT_YEAR = 2024
TODAY = date(2026, 11, 26)  # fixed, so every run generates the same cohort
COHORT = {"audit_year": AUDIT_YEAR, "patients": PATIENTS, "seed": 1, "today": TODAY}


def run(repeats: int = 1) -> None:
    from django.conf import settings

    from boundaries.loader import load_reference_data
    from npda.data_model import models as m
    from npda.synthetic.service import generate_cohort

    if not m.PaediatricDiabetesUnit.objects.exists():
        load_reference_data(settings.NPDA_REFERENCE_DATA, progress=lambda _: None)
    results = []

    def into_database() -> None:
        results.append(generate_cohort(**COHORT))

    def into_files() -> None:
        with tempfile.TemporaryDirectory() as directory:
            generate_cohort(**COHORT, csv_dir=Path(directory))

    print(f"generate_cohort: {PATIENTS:,} children, seed 1, audit year 2024-2025")
    seconds = timed(into_database, repeats, before=empty_clinical_tables)
    report("into an empty database (store_submission/COPY)", seconds)
    result = results[-1]
    print(
        f"  {result.children:,} children, {result.visits:,} visits in {result.units} units: "
        f"{result.visits / min(seconds):,.0f} visits/s"
    )
    report("as one CSV per unit (--csv-dir)", timed(into_files, repeats))


def empty_clinical_tables() -> None:
    """Every child, visit and submission, and (by cascade) their KPI and progress rows."""
    from django.db import connection

    from npda.data_model import models as m

    tables = [model._meta.db_table for model in (m.Visit, m.Site, m.Submission, m.Patient)]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
