"""Writing to the outbox and handing rows to the broker."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from .. import conf, ratelimit
from ..models import Channel, Fallback, Lane, Message
from ..templates import language_for, render_template

logger = logging.getLogger(__name__)

QUEUE_FOR_LANE = {Lane.EMERGENCY: "emergency", Lane.DEFAULT: "default", Lane.BULK: "bulk"}

# Rows per INSERT and per idempotency-key lookup in messages_queue_many (SQLite caps the number
# of parameters in one statement).
MANY_CHUNK = 500


@dataclass(frozen=True)
class OutgoingMessage:
    """One message for `messages_queue_many`; the fields mean what `message_queue`'s do."""

    channel: str
    address: str
    purpose: str
    template_key: str
    language: str
    context: dict[str, Any]
    idempotency_key: str
    recipient_person_id: int | None = None
    contact_point_id: int | None = None
    emergency: bool = False
    fallback: str = Fallback.CHANNEL
    fallback_context: dict[str, Any] = field(default_factory=dict)
    reply_flow: str = ""
    bulk: bool | None = None


def _lane(*, emergency: bool, bulk: bool | None, purpose: str) -> str:
    if bulk is None:
        bulk = purpose.startswith("campaign")
    return Lane.EMERGENCY if emergency else Lane.BULK if bulk else Lane.DEFAULT


def _check(channel: str, fallback: str) -> None:
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if fallback not in Fallback.values:
        raise ValueError(f"unknown fallback {fallback!r}")


def _render(template_key: str, language: str, channel: str, context: dict) -> tuple[str, str]:
    try:
        return render_template(template_key, language, channel, context)
    except KeyError as exc:
        raise ValueError(f"template {template_key!r} cannot be rendered: missing {exc}") from exc


def message_queue(
    *,
    channel: str,
    address: str,
    purpose: str,
    template_key: str,
    language: str,
    context: dict[str, Any],
    idempotency_key: str,
    recipient_person_id: int | None = None,
    contact_point_id: int | None = None,
    emergency: bool = False,
    fallback: str = Fallback.CHANNEL,
    fallback_context: dict[str, Any] | None = None,
    reply_flow: str = "",
    bulk: bool | None = None,
    fallback_of: Message | None = None,
    tried: list | None = None,
) -> Message:
    """Write a message to the outbox and enqueue its delivery once the caller's transaction
    commits (call it inside the transaction that makes the change the message is about).

    Guarantees: idempotent on `idempotency_key` — a second call returns the first message
    unchanged, also under concurrency (the key is unique; the loser of the race reads the
    winner's row). The body is rendered now, in the recipient's language (English if we lack
    theirs). Emergency messages use their own lane and queue; campaign messages (`bulk`, by
    default any purpose starting with "campaign") go to the rate-limited bulk lane.
    `fallback` says what happens after a permanent failure: nothing, the next channel of the
    same person, or that and then the next contact (resolved through alerts.registry).
    Raises ValueError for an unknown channel, template key or a context missing a field."""
    _check(channel, fallback)
    existing = Message.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    lang = language_for(language)
    subject, body = _render(template_key, lang, channel, context)
    lane = _lane(emergency=emergency, bulk=bulk, purpose=purpose)
    now = timezone.now()
    with transaction.atomic():
        message, created = Message.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={
                "channel": channel,
                "address": address,
                "purpose": purpose,
                "template_key": template_key,
                "language": lang,
                "context": context,
                "subject": subject[:200],
                "body": body,
                "emergency": emergency,
                "lane": lane,
                "recipient_person_id": recipient_person_id,
                "contact_point_id": contact_point_id,
                "next_attempt_at": now,
                "enqueued_at": now,
                "fallback": fallback,
                "fallback_context": fallback_context or {},
                "fallback_of": fallback_of,
                "reply_flow": reply_flow,
                "tried": tried or [[contact_point_id, channel, recipient_person_id]],
            },
        )
        if created:
            message_id = message.pk
            transaction.on_commit(lambda: enqueue(message_id, lane, channel))
    return message


def messages_queue_many(*, messages: Iterable[OutgoingMessage]) -> int:
    """Write many messages to the outbox at once (a campaign, a case notifying every contact)
    and enqueue them once the caller's transaction commits. Returns how many rows it wrote.

    The same guarantees as `message_queue` for each message: idempotent on the key (keys that
    exist already, or appear twice in `messages`, are skipped; a row written concurrently by
    someone else wins and is left to its writer), rendered now in the recipient's language,
    laned by emergency/purpose. All rows are written in one transaction (the caller's, or one
    of its own), with multi-row INSERTs. On commit, emergency and default messages get a task
    each; campaign messages get dispatcher kicks per channel, since the dispatcher claims them
    in batches. Nothing is written if any message is invalid: raises ValueError as
    `message_queue` does, before touching the database."""
    now = timezone.now()
    rows: dict[str, Message] = {}
    for item in messages:
        _check(item.channel, item.fallback)
        if item.idempotency_key in rows:
            continue
        lang = language_for(item.language)
        subject, body = _render(item.template_key, lang, item.channel, item.context)
        rows[item.idempotency_key] = Message(
            channel=item.channel,
            address=item.address,
            purpose=item.purpose,
            template_key=item.template_key,
            language=lang,
            context=item.context,
            subject=subject[:200],
            body=body,
            emergency=item.emergency,
            lane=_lane(emergency=item.emergency, bulk=item.bulk, purpose=item.purpose),
            recipient_person_id=item.recipient_person_id,
            contact_point_id=item.contact_point_id,
            next_attempt_at=now,
            enqueued_at=now,
            fallback=item.fallback,
            fallback_context=item.fallback_context,
            reply_flow=item.reply_flow,
            tried=[[item.contact_point_id, item.channel, item.recipient_person_id]],
            idempotency_key=item.idempotency_key,
        )
    keys = list(rows)
    with transaction.atomic():
        for start in range(0, len(keys), MANY_CHUNK):
            chunk = keys[start : start + MANY_CHUNK]
            existing = Message.objects.filter(idempotency_key__in=chunk).order_by()
            for key in existing.values_list("idempotency_key", flat=True):
                del rows[key]
        new = list(rows.values())
        # ignore_conflicts: a concurrent writer of the same key wins instead of failing us.
        Message.objects.bulk_create(new, batch_size=MANY_CHUNK, ignore_conflicts=True)
        # PostgreSQL does not return ids with ignore_conflicts: read back the rows that need a
        # task each (duplicates of a concurrent writer's rows are harmless: delivery claims).
        to_deliver: list[tuple[int, str, str]] = []
        per_task = [m.idempotency_key for m in new if m.lane != Lane.BULK or conf.eager()]
        for start in range(0, len(per_task), MANY_CHUNK):
            chunk = per_task[start : start + MANY_CHUNK]
            found = Message.objects.filter(idempotency_key__in=chunk).order_by()
            to_deliver += found.values_list("pk", "lane", "channel")
        bulk_channels = sorted({m.channel for m in new if m.lane == Lane.BULK})
        transaction.on_commit(lambda: _enqueue_many(to_deliver, bulk_channels))
    logger.info("alerts queued many: written=%s", len(new))
    return len(new)


def _enqueue_many(rows: list[tuple[int, str, str]], bulk_channels: list[str]) -> None:
    # Emergency first, so a long list never delays the message that matters most.
    rows = sorted(rows, key=lambda row: row[1] != Lane.EMERGENCY)
    for message_id, lane, channel in rows:
        enqueue(message_id, lane, channel)
    if not conf.eager():
        for channel in bulk_channels:
            kick_dispatch(channel, parallel=2)


def enqueue(message_id: int, lane: str, channel: str) -> None:
    """Hand a message to the broker. A broker that is down is not the caller's problem: the row
    is committed and the sweeper will enqueue it again after the grace period."""
    from ..tasks import message_deliver, messages_dispatch

    try:
        if lane == Lane.BULK and not conf.eager():
            # Campaign messages are sent in batches by a dispatcher that takes tokens from the
            # rate limiter; one kick per channel per half second is plenty.
            if ratelimit.once_per(f"kick:{channel}", 0.5):
                messages_dispatch.apply_async(args=[channel], queue=QUEUE_FOR_LANE[Lane.BULK])
        else:
            message_deliver.apply_async(args=[message_id], queue=QUEUE_FOR_LANE[lane])
    except (BrokerError, ConnectionError, OSError):
        logger.warning("alerts enqueue failed, the sweeper will retry: message=%s", message_id)


def kick_dispatch(channel: str, parallel: int = 1) -> None:
    from ..tasks import messages_dispatch

    try:
        for _ in range(parallel):
            messages_dispatch.apply_async(args=[channel], queue=QUEUE_FOR_LANE[Lane.BULK])
    except (BrokerError, ConnectionError, OSError):
        logger.warning("alerts dispatcher kick failed: channel=%s", channel)
