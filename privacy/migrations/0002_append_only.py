"""Audit and access logs are append-only in the database itself, not only by convention: on
PostgreSQL (every real deployment) an UPDATE or DELETE of a row is refused by a trigger, whoever
asks. The embedded SQLite default (demo, development) has no trigger: its test runs empty
tables with DELETE."""

from django.db import migrations

TABLES = ("privacy_auditentry", "privacy_accesslogentry")


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
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
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION reunify_append_only();"
            )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
