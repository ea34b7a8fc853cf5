from django.db import migrations
from django.utils import timezone

from npda.data_model.seeding import sync_audit_periods


def seed(apps, schema_editor):
    sync_audit_periods(apps, timezone.localdate())


class Migration(migrations.Migration):
    dependencies = [("npda", "0005_identifier_length_for_invalid_values")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
