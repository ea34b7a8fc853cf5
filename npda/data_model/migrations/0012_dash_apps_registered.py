from django.db import migrations
from django.utils.text import slugify

# The rows are now made after every migrate and flush (dashboards.apps.register_dash_app_rows);
# this migration stays for databases that ran it.
DASH_APPS = ("map_explorer", "funnel_explorer", "unit_profile", "reference_map")


def register(apps, schema_editor):
    StatelessApp = apps.get_model("django_plotly_dash", "StatelessApp")
    for name in DASH_APPS:
        StatelessApp.objects.get_or_create(app_name=name, defaults={"slug": slugify(name)})


class Migration(migrations.Migration):
    dependencies = [
        ("npda", "0011_activity_two_factor"),
        ("django_plotly_dash", "0002_add_examples"),
    ]

    operations = [migrations.RunPython(register, migrations.RunPython.noop)]
