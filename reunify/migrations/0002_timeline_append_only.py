"""A case's timeline is never rewritten: on PostgreSQL an UPDATE of an entry is refused by a
trigger (the function is privacy's, created again here so this migration stands on its own).
DELETE stays allowed so that deleting a whole case (retention) removes its entries by cascade."""

from django.db import migrations

TABLE = "reunify_timelineentry"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        """
        CREATE OR REPLACE FUNCTION reunify_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'this table is append-only: %%', TG_TABLE_NAME;
        END;
        $$ LANGUAGE plpgsql;
        """
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION reunify_append_only();"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};")


class Migration(migrations.Migration):
    dependencies = [("reunify", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
