"""Outbound messages. Other apps create messages only through `message_queue`."""

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .backends import get_backend
from .models import Channel, Message
from .templates import render_template


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
) -> Message:
    """Write a message to the outbox and enqueue its delivery once the caller's transaction
    commits. Idempotent: a second call with the same key returns the first message unchanged."""
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    existing = Message.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    subject, body = render_template(template_key, language, channel, context)
    with transaction.atomic():
        message = Message.objects.create(
            channel=channel,
            address=address,
            purpose=purpose,
            template_key=template_key,
            language=language,
            subject=subject,
            body=body,
            emergency=emergency,
            idempotency_key=idempotency_key,
            recipient_person_id=recipient_person_id,
            contact_point_id=contact_point_id,
            next_attempt_at=timezone.now(),
        )
        message_id = message.pk
        transaction.on_commit(lambda: _enqueue(message_id, emergency))
    return message


def _enqueue(message_id: int, emergency: bool) -> None:
    from .tasks import message_deliver

    message_deliver.apply_async(args=[message_id], queue="emergency" if emergency else "default")


def message_deliver(*, message_id: int) -> None:
    """Claim a queued message (queued → sending with a conditional update, so two workers never
    send one message), hand it to the channel's backend outside any transaction, record the
    result."""
    claimed = Message.objects.filter(pk=message_id, status=Message.Status.QUEUED).update(
        status=Message.Status.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return
    message = Message.objects.get(pk=message_id)
    provider_id = get_backend(message.channel).send(message)
    Message.objects.filter(pk=message_id, status=Message.Status.SENDING).update(
        status=Message.Status.SENT, sent_at=timezone.now(), provider_id=provider_id or ""
    )
