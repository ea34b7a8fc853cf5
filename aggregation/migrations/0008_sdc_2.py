from django.db import migrations, models

from npda.data_model.seeding import sync_disclosure_policies


def seed(apps, schema_editor):
    # SDC-2 (disclosure-control.md §3.1). SDC-1 gets the new parameters' defaults, which are
    # its own rules, so its releases keep their rows and their policy.
    sync_disclosure_policies(apps)


class Migration(migrations.Migration):
    dependencies = [("aggregation", "0007_outlier_steps_append_only")]

    operations = [
        migrations.AddField(
            model_name="disclosurepolicy",
            name="means_withheld_with_hidden_counts",
            field=models.BooleanField(
                default=True,
                help_text="SDC-1: a mean or median is withheld with its hidden contributor "
                "count; SDC-2: only when fewer than min_contributors children contribute",
            ),
        ),
        migrations.AddField(
            model_name="disclosurepolicy",
            name="recovery_check",
            field=models.BooleanField(
                default=False, help_text="§5.4: check that no withheld cell can be recovered"
            ),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
