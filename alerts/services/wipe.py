"""Wiping the bodies of messages that carried a one-time code or a personal link, once the code
or link is spent or expired: the outbox keeps that the message was sent, to whom and how it went,
not what it said."""

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Q

from ..models import Message

# A message still to be sent (or being sent) keeps its body; a wipe never races a delivery.
FINISHED = (
    Message.Status.SENT,
    Message.Status.DELIVERED,
    Message.Status.FAILED,
    Message.Status.CANCELLED,
)
WIPED = "[wiped]"


def message_bodies_wipe(*, idempotency_key_prefixes: Sequence[str], before: datetime) -> int:
    """Blank the body and the rendering context of every finished message created before
    `before` whose idempotency key starts with one of `idempotency_key_prefixes` (a fallback's
    key starts with its root's). Returns how many rows it changed; a second run changes none.
    One conditional UPDATE: safe to run while workers deliver."""
    prefixes = [p for p in idempotency_key_prefixes if p]
    if not prefixes:
        return 0
    matches = Q()
    for prefix in prefixes:
        matches |= Q(idempotency_key__startswith=prefix)
    return (
        Message.objects.filter(matches, created_at__lt=before, status__in=FINISHED)
        .exclude(body=WIPED)
        .update(body=WIPED, context={})
    )
