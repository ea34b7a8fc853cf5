"""Benchmark: load_reference_data, full load into empty tables and idempotent re-runs."""

from bench.common import report, timed


def run(repeats: int = 3) -> None:
    from django.conf import settings
    from django.db import connection

    from boundaries.loader import load_reference_data
    from npda.data_model import models as m

    source = settings.NPDA_REFERENCE_DATA
    tables = [
        model._meta.db_table
        for model in (
            m.PaediatricDiabetesUnit,
            m.Organisation,
            m.Trust,
            m.OpenUKNetwork,
            m.PaediatricDiabetesNetwork,
            m.LocalHealthBoard,
            m.IntegratedCareBoard,
            m.NHSEnglandRegion,
            m.Country,
            m.BoundaryLayer,
            m.ReferenceDataLoad,
        )
    ]

    def empty_tables() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")

    def load(**kwargs) -> None:
        load_reference_data(source, progress=lambda _: None, **kwargs)

    print(f"load_reference_data from {source}")
    report("full load into empty tables", timed(load, repeats, before=empty_tables))
    report("re-run, same files (full upsert)", timed(load, repeats))
    report("re-run with --skip-unchanged", timed(lambda: load(skip_unchanged=True), repeats))
    layers = m.BoundaryLayer.objects.order_by("level").values_list("level", "size_bytes")
    print("  web layers: " + ", ".join(f"{level} {size / 1024:.0f} KB" for level, size in layers))
    counts = m.ReferenceDataLoad.objects.latest().counts
    print("  rows: " + ", ".join(f"{count} {name}" for name, count in counts.items()))
