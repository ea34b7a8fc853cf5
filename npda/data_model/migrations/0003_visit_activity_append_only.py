from django.db import migrations

# The login audit trail must never be rewritten: refuse UPDATE at the database level.
FORWARD = """
CREATE FUNCTION npda_visitactivity_refuse_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'npda_visitactivity rows are append-only and cannot be updated';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER npda_visitactivity_append_only
    BEFORE UPDATE ON npda_visitactivity
    FOR EACH ROW EXECUTE FUNCTION npda_visitactivity_refuse_update();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS npda_visitactivity_append_only ON npda_visitactivity;
DROP FUNCTION IF EXISTS npda_visitactivity_refuse_update();
"""


class Migration(migrations.Migration):
    dependencies = [("npda", "0002_seed_measures_and_groups")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
