import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("aggregation", "0008_sdc_2"),
        ("npda", "0018_kpi_descriptive_figures_2026"),
    ]

    operations = [
        migrations.CreateModel(
            name="UnitOutlierClass",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("unit_code", models.CharField(max_length=12)),
                (
                    "unit_name",
                    models.CharField(
                        help_text="as the release's geography names it", max_length=160
                    ),
                ),
                (
                    "n",
                    models.PositiveIntegerField(
                        blank=True, help_text="the funnel's true n", null=True
                    ),
                ),
                (
                    "value",
                    models.FloatField(
                        blank=True, help_text="true, in the published unit", null=True
                    ),
                ),
                ("funnel_lower_95", models.FloatField(blank=True, null=True)),
                ("funnel_upper_95", models.FloatField(blank=True, null=True)),
                ("funnel_lower_998", models.FloatField(blank=True, null=True)),
                ("funnel_upper_998", models.FloatField(blank=True, null=True)),
                ("z_score", models.FloatField(blank=True, null=True)),
                (
                    "outlier",
                    models.CharField(
                        help_text="within, alert, alarm or non_participation", max_length=20
                    ),
                ),
                ("outlier_direction", models.CharField(blank=True, max_length=8)),
                (
                    "published",
                    models.BooleanField(help_text="the public funnel shows the unit's point"),
                ),
                (
                    "public_note",
                    models.CharField(
                        blank=True,
                        help_text="why the public value is withheld (value_note)",
                        max_length=32,
                    ),
                ),
                (
                    "measure",
                    models.ForeignKey(
                        blank=True,
                        help_text="empty for non-participation",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="npda.measure",
                    ),
                ),
                (
                    "release",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="outlier_classes",
                        to="aggregation.release",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("release", "measure", "unit_code"),
                        name="one_outlier_class_per_unit",
                    )
                ],
            },
        ),
    ]
