"""Writing to the outbox and handing rows to the broker."""

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from config.bulk import bulk_insert

from .. import conf, ratelimit
from ..models import Channel, Fallback, Lane, Message
from ..templates import language_for, render_template

logger = logging.getLogger(__name__)

QUEUE_FOR_LANE = {Lane.EMERGENCY: "emergency", Lane.DEFAULT: "default", Lane.BULK: "bulk"}

# Rows per INSERT and per idempotency-key lookup (SQLite caps the number of parameters in one
# statement).
MANY_CHUNK = 500
# Messages rendered and written per transaction by messages_queue_many's bulk path.
BULK_CHUNK = 1000
# Messages written together that get their tasks from the committing process; more than this
# are handed to the broker in chunks, each turned into per-message tasks by a worker.
ENQUEUE_INLINE = 50
ENQUEUE_CHUNK = 250

# "reunify.case", "campaigns.campaign": an app label and a model name.
CAUSE_TYPE_PATTERN = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"
CAUSE_TYPE = re.compile(CAUSE_TYPE_PATTERN)


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
    reply_ref: str = ""
    bulk: bool | None = None
    cause_type: str = ""
    cause_id: int | None = None


def _lane(*, emergency: bool, bulk: bool | None, purpose: str) -> str:
    if bulk is None:
        bulk = purpose.startswith("campaign")
    return Lane.EMERGENCY if emergency else Lane.BULK if bulk else Lane.DEFAULT


CHANNELS = frozenset(Channel.values)
FALLBACKS = frozenset(Fallback.values)


def _check(item: OutgoingMessage) -> None:
    if item.channel not in CHANNELS:
        raise ValueError(f"unknown channel {item.channel!r}")
    if item.fallback not in FALLBACKS:
        raise ValueError(f"unknown fallback {item.fallback!r}")
    if item.cause_type and not CAUSE_TYPE.fullmatch(item.cause_type):
        raise ValueError(f"cause_type {item.cause_type!r} is not an app label and a model name")
    if item.cause_id is not None and not item.cause_type:
        raise ValueError("cause_id needs a cause_type")
    if len(item.reply_ref) > 12 or (item.reply_ref and not item.reply_flow):
        raise ValueError("reply_ref is at most 12 characters and needs a reply_flow")


def _render(template_key: str, language: str, channel: str, context: dict) -> tuple[str, str]:
    try:
        return render_template(template_key, language, channel, context)
    except KeyError as exc:
        raise ValueError(f"template {template_key!r} cannot be rendered: missing {exc}") from exc


def message_fields(
    item: OutgoingMessage,
    *,
    now: datetime,
    fallback_of_id: int | None = None,
    tried: list | None = None,
) -> dict[str, Any]:
    """The one definition of an outbox row, as its field values by attribute name: checked,
    rendered now in the recipient's language (English if we lack theirs), laned. Every other
    field takes its default. Raises ValueError for an unknown channel or fallback, a malformed
    cause, or a template the context cannot fill."""
    _check(item)
    lang = language_for(item.language)
    context = {**item.context, "reply_ref": item.reply_ref} if item.reply_ref else item.context
    subject, body = _render(item.template_key, lang, item.channel, context)
    return {
        "channel": item.channel,
        "address": item.address,
        "purpose": item.purpose,
        "template_key": item.template_key,
        "language": lang,
        "context": item.context,
        "subject": subject[:200],
        "body": body,
        "emergency": item.emergency,
        "lane": _lane(emergency=item.emergency, bulk=item.bulk, purpose=item.purpose),
        "recipient_person_id": item.recipient_person_id,
        "contact_point_id": item.contact_point_id,
        "next_attempt_at": now,
        "enqueued_at": now,
        "fallback": item.fallback,
        "fallback_context": item.fallback_context or {},
        "fallback_of_id": fallback_of_id,
        "reply_flow": item.reply_flow,
        "reply_ref": item.reply_ref,
        "cause_type": item.cause_type,
        "cause_id": item.cause_id,
        "tried": tried or [[item.contact_point_id, item.channel, item.recipient_person_id]],
        "idempotency_key": item.idempotency_key,
    }


def build_message(
    item: OutgoingMessage,
    *,
    now: datetime,
    fallback_of: Message | None = None,
    tried: list | None = None,
) -> Message:
    """An unsaved outbox row (`message_fields`), the message it falls back from linked."""
    fields = message_fields(
        item, now=now, fallback_of_id=fallback_of.pk if fallback_of else None, tried=tried
    )
    return Message(**fields)


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
    reply_ref: str = "",
    bulk: bool | None = None,
    cause_type: str = "",
    cause_id: int | None = None,
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
    `reply_flow` names the flow that owns replies, `reply_ref` an optional short reference a
    reply may quote (offered to the template as `{reply_ref}`). `cause_type`/`cause_id` name
    what caused the message (a case, a campaign); fallbacks inherit them. Raises ValueError for
    an unknown channel, a malformed cause, a template key or a context missing a field."""
    item = OutgoingMessage(
        channel=channel,
        address=address,
        purpose=purpose,
        template_key=template_key,
        language=language,
        context=context,
        idempotency_key=idempotency_key,
        recipient_person_id=recipient_person_id,
        contact_point_id=contact_point_id,
        emergency=emergency,
        fallback=fallback,
        fallback_context=fallback_context or {},
        reply_flow=reply_flow,
        reply_ref=reply_ref,
        bulk=bulk,
        cause_type=cause_type,
        cause_id=cause_id,
    )
    _check(item)
    existing = Message.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    message = build_message(item, now=timezone.now(), fallback_of=fallback_of, tried=tried)
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: a lost race leaves our transaction usable
                message.save(force_insert=True)
        except IntegrityError:
            winner = Message.objects.filter(idempotency_key=idempotency_key).first()
            if winner is None:
                raise
            return winner
        message_id, lane = message.pk, message.lane
        transaction.on_commit(lambda: enqueue(message_id, lane, channel))
    return message


def messages_queue_many(
    *,
    messages: Iterable[OutgoingMessage],
    chunk_size: int = BULK_CHUNK,
    sole_writer: bool = False,
) -> int:
    """Write many messages to the outbox (a campaign, a case notifying every contact) and
    enqueue them on commit. Returns how many rows it wrote.

    The same guarantees as `message_queue` for each message: idempotent on the key (keys that
    exist already, or appear twice in `messages`, are skipped; a row written concurrently by
    someone else wins and is left to its writer), rendered in the recipient's language, laned
    by emergency/purpose. Rows go in with multi-row INSERTs. On commit, emergency and default
    messages get a task each; campaign messages get dispatcher kicks per channel, since the
    dispatcher claims them in batches.

    Inside the caller's transaction: everything is rendered first and written in that
    transaction, so nothing is written if any message is invalid (ValueError, before touching
    the database), and nothing is enqueued before the caller commits.

    Outside a transaction (the bulk path: a campaign fanning out to 175,000 guardians):
    `messages` is read lazily, `chunk_size` messages at a time; each chunk is rendered, then
    written in a transaction of its own and enqueued when that commits, so sending starts while
    later chunks are being written and memory stays bounded. Atomic per chunk, idempotent per
    key: after a crash or a ValueError in a later chunk, the chunks before it stay written and
    queued, and calling again with the same messages writes only the rest.

    `sole_writer`: the caller holds a lock or claim under which nobody else writes these keys (a
    campaign's fan-out holds its campaign row). The new rows are then streamed with COPY on
    PostgreSQL instead of INSERT ... ON CONFLICT DO NOTHING; a concurrent writer's row would
    fail the caller's transaction rather than be skipped."""
    if not transaction.get_autocommit():
        rows = _build_all(messages)
        with transaction.atomic():
            written = _insert(rows, sole_writer=sole_writer)
    else:
        written = 0
        for chunk in _chunks(messages, chunk_size):
            rows = _build_all(chunk)
            with transaction.atomic():
                written += _insert(rows, sole_writer=sole_writer)
    logger.info("alerts queued many: written=%s", written)
    return written


def _chunks(items: Iterable[OutgoingMessage], size: int) -> Iterator[list[OutgoingMessage]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, max(1, size))):
        yield chunk


def _build_all(items: Iterable[OutgoingMessage]) -> dict[str, dict[str, Any]]:
    """{idempotency key: the row's field values}, the first message of each key."""
    now = timezone.now()
    rows: dict[str, dict[str, Any]] = {}
    for item in items:
        if item.idempotency_key not in rows:
            rows[item.idempotency_key] = message_fields(item, now=now)
    return rows


def _insert(rows: dict[str, dict[str, Any]], *, sole_writer: bool) -> int:
    """Write the rows whose keys are new, inside the current transaction, and enqueue them when
    it commits."""
    keys = list(rows)
    for start in range(0, len(keys), MANY_CHUNK):
        existing = Message.objects.filter(idempotency_key__in=keys[start : start + MANY_CHUNK])
        for key in existing.order_by().values_list("idempotency_key", flat=True):
            del rows[key]
    new = list(rows.values())
    if sole_writer:
        bulk_insert(Message, new)
    else:
        # ignore_conflicts: a concurrent writer of the same key wins instead of failing us.
        Message.objects.bulk_create(
            [Message(**row) for row in new], batch_size=MANY_CHUNK, ignore_conflicts=True
        )
    # Neither insert returns ids on PostgreSQL: read back the rows that need a task each
    # (duplicates of a concurrent writer's rows are harmless: delivery claims).
    to_deliver: list[tuple[int, str, str]] = []
    eager = conf.eager()
    per_task = [row["idempotency_key"] for row in new if eager or row["lane"] != Lane.BULK]
    for start in range(0, len(per_task), MANY_CHUNK):
        found = Message.objects.filter(idempotency_key__in=per_task[start : start + MANY_CHUNK])
        to_deliver += found.order_by().values_list("pk", "lane", "channel")
    bulk_channels = sorted({row["channel"] for row in new if row["lane"] == Lane.BULK})
    if to_deliver or bulk_channels:
        transaction.on_commit(lambda: _enqueue_many(to_deliver, bulk_channels))
    return len(new)


def _enqueue_many(rows: list[tuple[int, str, str]], bulk_channels: list[str]) -> None:
    # Emergency first, so a long list never delays the message that matters most.
    rows = sorted(rows, key=lambda row: row[1] != Lane.EMERGENCY)
    if len(rows) <= ENQUEUE_INLINE:
        messages_enqueue(rows=rows)
    else:
        _enqueue_in_chunks(rows)
    if not conf.eager():
        for channel in bulk_channels:
            kick_dispatch(channel, parallel=2)


def _enqueue_in_chunks(rows: list[tuple[int, str, str]]) -> None:
    """A long list (a school event notifying 2,000 families) is handed to the broker as tasks of
    ENQUEUE_CHUNK messages each, on the messages' own lane, which a worker turns into one task
    per message: the commit that wrote them returns after a few publishes, not thousands. A
    chunk the broker loses is the sweeper's, like a lost message task."""
    from ..tasks import messages_enqueue as messages_enqueue_task

    for start in range(0, len(rows), ENQUEUE_CHUNK):
        chunk = rows[start : start + ENQUEUE_CHUNK]
        for lane in sorted({row[1] for row in chunk}, key=lambda lane: lane != Lane.EMERGENCY):
            same_lane = [list(row) for row in chunk if row[1] == lane]
            try:
                messages_enqueue_task.apply_async(args=[same_lane], queue=QUEUE_FOR_LANE[lane])
            except (BrokerError, ConnectionError, OSError):
                logger.warning(
                    "alerts enqueue failed, the sweeper will retry: messages=%s", len(same_lane)
                )


def messages_enqueue(*, rows: Iterable[tuple[int, str, str]]) -> int:
    """Give each (message id, lane, channel) its task, as `enqueue` does. Returns how many."""
    count = 0
    for message_id, lane, channel in rows:
        enqueue(message_id, lane, channel)
        count += 1
    return count


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
