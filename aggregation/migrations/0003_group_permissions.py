from django.db import migrations

from npda.data_model.seeding import sync_kpi_job_groups


def seed(apps, schema_editor):
    # The RCPCH groups see KPI runs and set outlier policies (release permissions: 0005).
    sync_kpi_job_groups(apps, strict=False)


class Migration(migrations.Migration):
    dependencies = [
        ("aggregation", "0002_outlier_policy"),
        ("npda", "0005_identifier_length_for_invalid_values"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
