from django.db import migrations

from npda.data_model.seeding import sync_groups, sync_measures


def seed(apps, schema_editor):
    sync_measures(apps)
    sync_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("npda", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
