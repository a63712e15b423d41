"""Writing to the outbox and handing rows to the broker."""

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from .. import conf, ratelimit
from ..models import Channel, Fallback, Lane, Message
from ..templates import language_for, render_template

logger = logging.getLogger(__name__)

QUEUE_FOR_LANE = {Lane.EMERGENCY: "emergency", Lane.DEFAULT: "default", Lane.BULK: "bulk"}


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
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if fallback not in Fallback.values:
        raise ValueError(f"unknown fallback {fallback!r}")
    existing = Message.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    lang = language_for(language)
    try:
        subject, body = render_template(template_key, lang, channel, context)
    except KeyError as exc:
        raise ValueError(f"template {template_key!r} cannot be rendered: missing {exc}") from exc
    if bulk is None:
        bulk = purpose.startswith("campaign")
    lane = Lane.EMERGENCY if emergency else Lane.BULK if bulk else Lane.DEFAULT
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
