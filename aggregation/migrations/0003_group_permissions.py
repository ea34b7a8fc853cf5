from django.db import migrations

from npda.seeding import sync_kpi_job_groups


def seed(apps, schema_editor):
    sync_kpi_job_groups(apps)  # the RCPCH groups see KPI runs and set outlier policies


class Migration(migrations.Migration):
    dependencies = [
        ("aggregation", "0002_outlier_policy"),
        ("npda", "0005_identifier_length_for_invalid_values"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
