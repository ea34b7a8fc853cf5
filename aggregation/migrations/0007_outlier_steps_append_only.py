from django.db import migrations

# The outlier process record is appended to, never edited or deleted (ADR 0012), now enforced
# by the database with the audit trigger function of npda 0009.
FORWARD = """
CREATE TRIGGER aggregation_outlierprocessstep_append_only
    BEFORE UPDATE OR DELETE ON aggregation_outlierprocessstep
    FOR EACH ROW EXECUTE FUNCTION npda_refuse_change();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS aggregation_outlierprocessstep_append_only
    ON aggregation_outlierprocessstep;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("aggregation", "0006_outlier_process_steps"),
        ("npda", "0009_append_only_refuses_delete"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
