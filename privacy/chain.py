"""Hash chains over the audit and access logs: each row carries the SHA-256 of its content and of
the previous row's hash, so altering, removing or reordering a row breaks every hash after it.

Writers lock the chains' head rows (`ChainHead`, SELECT ... FOR UPDATE on PostgreSQL, both heads
at once so that no two writers deadlock; SQLite serialises writers on its own) for the rest of
their transaction, number their rows after the
head, compute the hashes in Python and insert them in one bulk insert. The lock is held until the
caller's transaction commits, so two transactions never chain onto the same head.

A few rows are written by code that cannot chain them (the portal's confirm-all is a single SQL
statement on PostgreSQL). They are written with no `seq`; `chain_seal` chains them later, in id
order (a periodic task, and `verify_audit` before it walks). The append-only trigger lets exactly
that change through: filling in the chain columns of a row that has none.
"""

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.db import models, transaction

from .models import AccessLogEntry, AuditEntry, ChainedRow, ChainHead

# The fields each chain's hash covers, besides seq and the previous hash.
CHAINS: dict[str, tuple[type[ChainedRow], tuple[str, ...]]] = {
    "audit": (
        AuditEntry,
        ("at", "actor_id", "actor_label", "action", "object_type", "object_id", "before", "after"),
    ),
    "access": (AccessLogEntry, ("at", "actor_id", "action", "object_type", "object_id")),
}
SEAL_BATCH = 2000


def _plain(value: Any) -> Any:
    if hasattr(value, "astimezone"):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict | list | tuple):
        # What the JSON column gives back: string keys, lists for tuples.
        return json.loads(json.dumps(value))
    return value


def row_digest(name: str, row: ChainedRow, seq: int, prev_hash: str) -> str:
    """The hash of `row` at position `seq` after `prev_hash` in chain `name`."""
    _model, fields = CHAINS[name]
    content = [seq, *(_plain(getattr(row, f)) for f in fields)]
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}\n{text}".encode()).hexdigest()


def _locked_head(name: str) -> ChainHead:
    """Lock the heads of both chains, in one statement and always in the same order, and return
    `name`'s. A transaction that writes to the audit log and then to the access log (or the
    other way round) therefore never waits for one lock while holding the other: no deadlock."""
    heads = {
        head.name: head
        for head in ChainHead.objects.select_for_update().filter(name__in=CHAINS).order_by("name")
    }
    if name not in heads:  # only after the table was emptied (a test run)
        heads[name], _created = ChainHead.objects.select_for_update().get_or_create(name=name)
    return heads[name]


def _link(name: str, head: ChainHead, rows: Sequence[ChainedRow]) -> None:
    for row in rows:
        head.seq += 1
        row.seq = head.seq
        row.prev_hash = head.last_hash
        row.row_hash = row_digest(name, row, head.seq, head.last_hash)
        head.last_hash = row.row_hash


def chain_append(name: str, rows: Sequence[ChainedRow]) -> list[ChainedRow]:
    """Insert `rows` (unsaved instances of the chain's model) at the end of chain `name`, in one
    bulk insert, with their hashes. Runs in the caller's transaction (or its own) and holds the
    head's lock until that transaction ends."""
    model, _fields = CHAINS[name]
    if not rows:
        return []
    # No savepoint: if a statement here fails, the caller's transaction fails with it.
    with transaction.atomic(savepoint=False):
        head = _locked_head(name)
        _link(name, head, rows)
        created = model.objects.bulk_create(rows, batch_size=SEAL_BATCH)
        ChainHead.objects.filter(pk=name).update(seq=head.seq, last_hash=head.last_hash)
    return created


def chain_seal(name: str) -> int:
    """Chain the rows of `name` that were written without a place in it, oldest id first.
    Returns how many it sealed. Safe to run at any time: it takes the head's lock."""
    model, _fields = CHAINS[name]
    sealed = 0
    while True:
        with transaction.atomic():
            head = _locked_head(name)
            rows = list(model.objects.filter(seq__isnull=True).order_by("id")[:SEAL_BATCH])
            if not rows:
                return sealed
            _link(name, head, rows)
            model.objects.bulk_update(rows, ["seq", "prev_hash", "row_hash"])
            ChainHead.objects.filter(pk=name).update(seq=head.seq, last_hash=head.last_hash)
        sealed += len(rows)


@dataclass(frozen=True)
class ChainFault:
    chain: str
    table: str
    seq: int
    row_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"row id {self.row_id}" if self.row_id is not None else "a row"
        return f"{self.table}: {where} at position {self.seq} {self.problem}"


def _walk(name: str) -> Iterator[ChainedRow]:
    model, _fields = CHAINS[name]
    return model.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=SEAL_BATCH)


def chain_verify(name: str) -> tuple[int, ChainFault | None]:
    """Walk chain `name` from its first row. Returns (rows checked, the first fault or None).

    A fault is a row whose content no longer gives its hash (altered), whose previous hash is
    not the hash of the row before it or whose position skips one (a row before it removed or
    reordered), or a chain that ends before its head says it does (rows removed at the end)."""
    model, _fields = CHAINS[name]
    table = model._meta.db_table
    expected_seq, prev_hash, checked = 1, "", 0
    for row in _walk(name):
        if row.seq != expected_seq:
            return checked, ChainFault(
                name, table, expected_seq, None, f"was removed (the next is row id {row.pk})"
            )
        if row.prev_hash != prev_hash:
            return checked, ChainFault(
                name, table, row.seq, row.pk, "does not follow the row before it"
            )
        if row.row_hash != row_digest(name, row, row.seq, row.prev_hash):
            return checked, ChainFault(name, table, row.seq, row.pk, "was altered")
        prev_hash, expected_seq, checked = row.row_hash, expected_seq + 1, checked + 1
    head = ChainHead.objects.filter(pk=name).first()
    if head is not None and (head.seq != checked or head.last_hash != prev_hash):
        return checked, ChainFault(
            name, table, checked + 1, None, f"was removed (the chain should end at {head.seq})"
        )
    return checked, None


def unsealed_count(model: type[models.Model]) -> int:
    return model.objects.filter(seq__isnull=True).count()
