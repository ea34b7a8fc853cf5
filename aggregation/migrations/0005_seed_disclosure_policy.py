from django.db import migrations

from npda.data_model.seeding import sync_disclosure_policies, sync_kpi_job_groups


def seed(apps, schema_editor):
    sync_disclosure_policies(apps)  # SDC-1 (disclosure-control.md §3)
    sync_kpi_job_groups(apps, strict=False)  # the RCPCH groups download suppression logs


class Migration(migrations.Migration):
    dependencies = [("aggregation", "0004_releases")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
