"""The audit and access logs stay append-only, with one exception the hash chain needs: a row
written without a place in the chain (seq still NULL) may have exactly its chain columns filled
in, once, by the sealer (privacy/chain.py). Any other UPDATE, and every DELETE, is refused.

Rows that existed before the chain have no seq; the sealer chains them, oldest first."""

from django.db import migrations

TABLES = ("privacy_auditentry", "privacy_accesslogentry")
CHAIN_COLUMNS = "'seq' - 'prev_hash' - 'row_hash'"


def forwards(apps, schema_editor):
    # The chains' heads exist from the start, so a writer only ever locks one (a missing head is
    # created on first use, after a test run empties the tables).
    ChainHead = apps.get_model("privacy", "ChainHead")
    for name in ("audit", "access"):
        ChainHead.objects.get_or_create(name=name)
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION reunify_append_only_chained() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND OLD.seq IS NULL
               AND (to_jsonb(NEW) - {CHAIN_COLUMNS}) = (to_jsonb(OLD) - {CHAIN_COLUMNS}) THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'this table is append-only: %%', TG_TABLE_NAME;
        END;
        $$ LANGUAGE plpgsql;
        """
    )
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION reunify_append_only_chained();"
        )


def backwards(apps, schema_editor):
    apps.get_model("privacy", "ChainHead").objects.all().delete()
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION reunify_append_only();"
        )
    schema_editor.execute("DROP FUNCTION IF EXISTS reunify_append_only_chained();")


class Migration(migrations.Migration):
    dependencies = [("privacy", "0003_chain_disclosures_agency_requests")]
    operations = [migrations.RunPython(forwards, backwards)]
