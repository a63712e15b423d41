"""The custody record is never rewritten: on PostgreSQL an UPDATE of a release, an approval, a
correction or an accounting entry is refused by a trigger (the function is privacy's, created
again here so this migration stands on its own). DELETE stays allowed so that deleting a whole
case (retention) removes them by cascade."""

from django.db import migrations

TABLES = (
    "reunify_release",
    "reunify_releaseapproval",
    "reunify_releasecorrection",
    "reunify_accounting",
)


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
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION reunify_append_only();"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")


class Migration(migrations.Migration):
    dependencies = [("reunify", "0003_release")]
    operations = [migrations.RunPython(forwards, backwards)]
