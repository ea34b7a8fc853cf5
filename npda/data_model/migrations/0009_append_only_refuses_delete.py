from django.db import migrations

# Audit records are never rewritten or removed: one trigger function refuses UPDATE and DELETE
# of any table it is attached to (the activity log here; the outlier process record in the
# aggregation app). TRUNCATE, the database owner's reset, is left to the owner.
FORWARD = """
DROP TRIGGER IF EXISTS npda_visitactivity_append_only ON npda_visitactivity;
DROP FUNCTION IF EXISTS npda_visitactivity_refuse_update();
CREATE FUNCTION npda_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER npda_visitactivity_append_only
    BEFORE UPDATE OR DELETE ON npda_visitactivity
    FOR EACH ROW EXECUTE FUNCTION npda_refuse_change();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS npda_visitactivity_append_only ON npda_visitactivity;
DROP FUNCTION IF EXISTS npda_refuse_change();
CREATE FUNCTION npda_visitactivity_refuse_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'npda_visitactivity rows are append-only and cannot be updated';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER npda_visitactivity_append_only
    BEFORE UPDATE ON npda_visitactivity
    FOR EACH ROW EXECUTE FUNCTION npda_visitactivity_refuse_update();
"""


class Migration(migrations.Migration):
    dependencies = [("npda", "0008_boundary_layer_recipe")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
