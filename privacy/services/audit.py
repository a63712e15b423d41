"""Audit and access records. Callers invoke these inside their own transaction so the record and
the change commit together or not at all.

Each record joins its table's hash chain (privacy/chain.py): the first record written in a
transaction locks the chain's head until that transaction ends, so keep the write short after it.
Bulk calls compute the chain for the whole batch in Python and insert it in one bulk insert."""

from typing import Any

from django.db import models

from ..chain import chain_append
from ..models import AccessLogEntry, AuditEntry


def actor_label_for(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return f"user:{actor.pk}:{actor.get_username()}"


def _user(actor):
    return actor if actor is not None and not isinstance(actor, str) else None


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
) -> AuditEntry:
    """Write one audit entry about `obj` (or about `object_type`/`object_id` when the change
    concerns no single row, such as an import run). `actor` is a user, or a label string for
    portal/import/system writes."""
    entry = AuditEntry(
        actor=_user(actor),
        actor_label=actor_label_for(actor),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else object_type,
        object_id=str(obj.pk) if obj is not None else object_id,
        before=before,
        after=after,
    )
    chain_append("audit", [entry])
    return entry


def audit_bulk(
    *, actor, action: str, label: str, rows: list[tuple[str, dict | None, dict | None]]
) -> None:
    """Audit many changes of one kind at once (importers). `rows` are (object_id, before, after)."""
    user, actor_label = _user(actor), actor_label_for(actor)
    chain_append(
        "audit",
        [
            AuditEntry(
                actor=user,
                actor_label=actor_label,
                action=action,
                object_type=label,
                object_id=object_id,
                before=before,
                after=after,
            )
            for object_id, before, after in rows
        ],
    )


def access_record(*, actor, action: str, obj: models.Model) -> None:
    access_record_many(
        actor=actor, action=action, object_type=obj._meta.label_lower, object_ids=[obj.pk]
    )


def access_record_many(*, actor, action: str, object_type: str, object_ids) -> None:
    """One access entry per object a staff member was shown (a list page shows many)."""
    chain_append(
        "access",
        [
            AccessLogEntry(actor=actor, action=action, object_type=object_type, object_id=str(pk))
            for pk in object_ids
        ],
    )
