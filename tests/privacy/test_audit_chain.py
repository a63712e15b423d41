import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from privacy.chain import chain_seal, chain_verify
from privacy.models import AccessLogEntry, AuditEntry
from privacy.services import access_record_many, audit_bulk, audit_record

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's"
)


def _tamper(model, pk, **changes):
    """Change a row behind the application's back, as someone with database access could."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The test's transaction holds deferred foreign-key checks; ALTER TABLE needs none.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        try:
            if changes:
                model.objects.filter(pk=pk).update(**changes)
            else:
                model.objects.filter(pk=pk).delete()
        finally:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


def _write_some(user):
    audit_record(actor="system", action="tests.one", object_type="t", object_id="1")
    audit_bulk(
        actor=user,
        action="tests.many",
        label="t",
        rows=[(str(i), None, {"n": i, "name": "Ana"}) for i in range(5)],
    )
    access_record_many(actor=user, action="tests.viewed", object_type="t", object_ids=[1, 2, 3])


def test_each_row_carries_the_hash_of_the_one_before(lincoln_staff):
    _write_some(lincoln_staff)
    rows = list(AuditEntry.objects.order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[0].prev_hash == ""
    assert all(b.prev_hash == a.row_hash for a, b in zip(rows, rows[1:], strict=False))
    assert chain_verify("audit") == (6, None)
    assert chain_verify("access") == (3, None)


def test_verify_audit_passes_an_intact_log(lincoln_staff, capsys):
    _write_some(lincoln_staff)
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "audit: 6 rows, chain intact" in out
    assert "access: 3 rows, chain intact" in out


def test_one_altered_byte_is_named_by_the_verifier(lincoln_staff):
    _write_some(lincoln_staff)
    target = AuditEntry.objects.get(seq=4)
    _tamper(AuditEntry, target.pk, after={"n": 2, "name": "Anb"})
    with pytest.raises(CommandError) as failed:
        call_command("verify_audit")
    assert failed.value.returncode == 1
    assert f"privacy_auditentry: row id {target.pk} at position 4 was altered" in str(failed.value)


def test_a_removed_row_is_named_by_its_position(lincoln_staff):
    _write_some(lincoln_staff)
    removed = AccessLogEntry.objects.get(seq=2)
    _tamper(AccessLogEntry, removed.pk)
    _checked, fault = chain_verify("access")
    assert fault is not None and fault.seq == 2 and "was removed" in str(fault)


def test_rows_removed_from_the_end_are_noticed(lincoln_staff):
    _write_some(lincoln_staff)
    _tamper(AccessLogEntry, AccessLogEntry.objects.get(seq=3).pk)
    _checked, fault = chain_verify("access")
    assert fault is not None and "should end at 3" in str(fault)


def test_a_row_written_outside_the_chain_is_sealed_in_id_order():
    audit_record(actor="system", action="tests.chained", object_type="t", object_id="1")
    # What the portal's one-statement confirm-all does: a plain INSERT with no chain columns.
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(actor_label="portal", action="tests.raw", object_type="t", object_id=str(i))
            for i in range(2)
        ]
    )
    assert chain_verify("audit") == (1, None)
    assert chain_seal("audit") == 2
    assert chain_seal("audit") == 0
    assert list(AuditEntry.objects.order_by("seq").values_list("action", flat=True)) == [
        "tests.chained",
        "tests.raw",
        "tests.raw",
    ]
    assert chain_verify("audit") == (3, None)


@on_postgresql
def test_the_trigger_lets_only_sealing_change_a_row():
    AuditEntry.objects.create(actor_label="portal", action="tests.raw", object_type="t")
    row = AuditEntry.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=row.pk).update(action="tests.rewritten", seq=1)
    assert chain_seal("audit") == 1
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=row.pk).update(row_hash="0" * 64)
    assert chain_verify("audit") == (1, None)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain():
    errors = []

    def write(n):
        try:
            for i in range(10):
                with transaction.atomic():
                    audit_record(
                        actor="system", action=f"tests.w{n}", object_type="t", object_id=str(i)
                    )
        except Exception as exc:  # reported below; a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert chain_verify("audit") == (40, None)
