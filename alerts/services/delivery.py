"""Claiming, sending and recording. The shape is healthchecks': claim with a conditional UPDATE,
call the provider outside any transaction, record the result with a conditional UPDATE that
names the claim, so a worker whose claim was taken over can no longer change the row."""

import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from .. import conf, ratelimit, registry
from ..models import (
    CONTACT_POINT_FAILURES,
    Channel,
    ErrorCode,
    Fallback,
    Lane,
    Message,
    Suppression,
)
from ..transports import TransportError, get_transport
from .outbox import QUEUE_FOR_LANE, message_queue

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    first_delay: float  # seconds; doubles each attempt, with jitter
    max_delay: float
    max_attempts: int
    window: timedelta  # never retry past created_at + window


RETRY = {
    Lane.EMERGENCY: RetryPolicy(2, 60, 8, timedelta(minutes=15)),
    Lane.DEFAULT: RetryPolicy(15, 600, 6, timedelta(hours=2)),
    Lane.BULK: RetryPolicy(60, 1800, 5, timedelta(hours=12)),
}

# Countdowns up to this long are handed to the broker; longer waits are left to the sweeper
# (no long ETAs: a worker holds ETA tasks in memory).
INLINE_RETRY_LIMIT = 60.0


def backoff_seconds(lane: str, attempts: int) -> float:
    policy = RETRY[lane]
    delay = min(policy.max_delay, policy.first_delay * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security


@dataclass
class Outcome:
    provider_id: str | None = None
    error: TransportError | None = None
    reconciled: bool = False


def attempt(message: Message, *, suppressed: bool) -> Outcome:
    """One delivery attempt; no database access, so it can run in a thread pool."""
    if suppressed and message.channel == Channel.SMS:
        return Outcome(
            error=TransportError("recipient opted out", permanent=True, code=ErrorCode.OPTED_OUT)
        )
    try:
        transport = get_transport(message.channel)
    except TransportError as exc:
        return Outcome(error=exc)
    if message.in_doubt:
        try:
            found = transport.lookup(message)
        except TransportError as exc:
            # We still do not know whether the last attempt went out: stay in doubt.
            exc.in_doubt = True
            return Outcome(error=exc)
        if found:
            return Outcome(provider_id=found, reconciled=True)
    try:
        return Outcome(provider_id=transport.send(message))
    except TransportError as exc:
        return Outcome(error=exc)


def message_deliver(*, message_id: int) -> str:
    """Deliver one message (emergency and default lanes).

    Claims the row queued → sending with a conditional UPDATE, so two workers (or a duplicate
    task after a broker redelivery) never send one message: the loser updates 0 rows and stops.
    The provider is called outside any transaction. If the previous attempt may have reached the
    provider, the provider is asked first. Returns what happened ("sent", "reconciled",
    "retry", "failed", "not_claimed"); raises nothing for provider failures."""
    now = timezone.now()
    # Not conditional on next_attempt_at: whoever enqueued the task (on commit, a retry
    # countdown, the sweeper) already decided it is due.
    claimed = Message.objects.filter(pk=message_id, status=Message.Status.QUEUED).update(
        status=Message.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return "not_claimed"
    message = Message.objects.get(pk=message_id)
    suppressed = (
        message.channel == Channel.SMS
        and Suppression.objects.filter(address=message.address).exists()
    )
    outcome = attempt(message, suppressed=suppressed)
    return record_outcome(message, outcome)


def record_outcome(message: Message, outcome: Outcome) -> str:
    """Record one attempt's result, in one transaction, only if our claim still stands."""
    now = timezone.now()
    mine = Message.objects.filter(
        pk=message.pk, status=Message.Status.SENDING, claimed_at=message.claimed_at
    )
    with transaction.atomic():
        if outcome.provider_id:
            updated = mine.update(
                status=Message.Status.SENT,
                sent_at=now,
                provider_id=outcome.provider_id[:64],
                in_doubt=False,
                error_code="",
                error="",
            )
            if not updated:
                logger.warning("alerts claim lost before recording: message=%s", message.pk)
            return "reconciled" if outcome.reconciled else "sent"
        error = outcome.error or TransportError("no outcome", code=ErrorCode.PROVIDER_ERROR)
        if error.permanent:
            if mine.update(
                status=Message.Status.FAILED,
                failed_at=now,
                error_code=error.code,
                error=error.message[:300],
                in_doubt=False,
            ):
                logger.info("alerts message failed: message=%s reason=%s", message.pk, error.code)
                after_failure(message, code=error.code)
            return "failed"
        policy = RETRY[message.lane]
        delay = backoff_seconds(message.lane, message.attempts)
        due = now + timedelta(seconds=delay)
        if message.attempts >= policy.max_attempts or due > message.created_at + policy.window:
            if mine.update(
                status=Message.Status.FAILED,
                failed_at=now,
                error_code=ErrorCode.RETRIES_EXHAUSTED,
                error=f"{error.code}: {error.message}"[:300],
                in_doubt=False,
            ):
                logger.info("alerts message gave up: message=%s reason=%s", message.pk, error.code)
                after_failure(message, code=ErrorCode.RETRIES_EXHAUSTED)
            return "failed"
        inline = delay <= INLINE_RETRY_LIMIT and not conf.eager()
        if mine.update(
            status=Message.Status.QUEUED,
            next_attempt_at=due,
            enqueued_at=due if inline else None,
            in_doubt=error.in_doubt,
            error_code=error.code,
            error=error.message[:300],
        ):
            logger.info(
                "alerts message will retry: message=%s reason=%s in=%.0fs",
                message.pk,
                error.code,
                delay,
            )
            if inline:
                transaction.on_commit(lambda: _retry_later(message, delay))
        return "retry"


def _retry_later(message: Message, delay: float) -> None:
    from ..tasks import message_deliver as task

    if message.lane == Lane.BULK:
        return  # the bulk dispatcher and the sweeper pick due bulk messages up
    try:
        task.apply_async(args=[message.pk], queue=QUEUE_FOR_LANE[message.lane], countdown=delay)
    except Exception:  # the broker is down: the sweeper enqueues it when it is due
        logger.warning("alerts retry enqueue failed: message=%s", message.pk)


def after_failure(message: Message, *, code: str) -> None:
    """Side effects of a terminal failure, inside the transaction that recorded it: tell the
    owner of the contact point (on commit) and queue the fallback message."""
    if code in CONTACT_POINT_FAILURES:
        event = registry.ContactPointEvent(
            status="opted_out" if code == ErrorCode.OPTED_OUT else "invalid",
            reason=code,
            channel=message.channel,
            address=message.address,
            contact_point_id=message.contact_point_id,
            recipient_person_id=message.recipient_person_id,
            message_id=message.pk,
        )
        transaction.on_commit(lambda: registry.notify_contact_point(event))
    fall_back(message, reason=code)


def fall_back(message: Message, *, reason: str) -> Message | None:
    """Queue the same notification on the next channel of the same person, or, when the
    caller asked for it, to the next contact. Never returns to a (contact point, channel) pair
    the chain already tried. When nothing is left to try (or the message's fallback is
    "none"), the message's reply flow hears it through `registry.notify_fallback_exhausted`
    on commit."""
    if message.fallback == Fallback.NONE:
        _exhausted(message, reason=reason)
        return None
    tried = [list(t) for t in (message.tried or [])]
    request = registry.FallbackRequest(
        message_id=message.pk,
        recipient_person_id=message.recipient_person_id,
        failed_channel=message.channel,
        failed_contact_point_id=message.contact_point_id,
        reason=reason,
        tried=frozenset((t[0], t[1]) for t in tried),
        tried_people=frozenset(t[2] for t in tried if len(t) > 2 and t[2] is not None),
        context=dict(message.fallback_context or {}),
    )
    destination = registry.resolve_next_channel(request)
    if destination is None and message.fallback == Fallback.CONTACT:
        destination = registry.resolve_next_contact(request)
    if destination is None:
        logger.info("alerts no fallback left: message=%s", message.pk)
        _exhausted(message, reason=reason)
        return None
    if (
        destination.contact_point_id is not None
        and (destination.contact_point_id, destination.channel) in request.tried
    ):
        logger.warning("alerts fallback resolver returned a tried destination: %s", message.pk)
        _exhausted(message, reason=reason)
        return None
    person = destination.recipient_person_id or message.recipient_person_id
    tried.append([destination.contact_point_id, destination.channel, person])
    root_key = message.idempotency_key.split("/fb")[0][:140]
    return message_queue(
        channel=destination.channel,
        address=destination.address,
        purpose=message.purpose,
        template_key=message.template_key,
        language=destination.language or message.language,
        context=message.context,
        idempotency_key=f"{root_key}/fb{len(tried) - 1}",
        recipient_person_id=person,
        contact_point_id=destination.contact_point_id,
        emergency=message.emergency,
        fallback=message.fallback,
        fallback_context=message.fallback_context,
        reply_flow=message.reply_flow,
        reply_ref=message.reply_ref,
        cause_type=message.cause_type,
        cause_id=message.cause_id,
        bulk=message.lane == Lane.BULK,
        fallback_of=message,
        tried=tried,
    )


def _exhausted(message: Message, *, reason: str) -> None:
    """The chain ran out: tell the message's flow once the failure is committed."""
    if not message.reply_flow:
        return
    event = registry.FallbackExhausted(
        message_id=message.pk,
        flow=message.reply_flow,
        recipient_person_id=message.recipient_person_id,
        reason=reason,
        cause_type=message.cause_type,
        cause_id=message.cause_id,
        context=dict(message.fallback_context or {}),
    )
    transaction.on_commit(lambda: registry.notify_fallback_exhausted(event))


# --- campaign (bulk) lane --------------------------------------------------------------------

_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None


def _executor() -> ThreadPoolExecutor:
    # One pool per process, created after the prefork worker forked, and kept: its threads keep
    # their HTTP connections to the provider open between batches.
    import os

    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(conf.bulk_concurrency(), thread_name_prefix="alerts-send")
            _pool_pid = os.getpid()
        return _pool


def claim_batch(*, channel: str, limit: int, lane: str = Lane.BULK) -> tuple[list[int], datetime]:
    """Claim up to `limit` due messages of one lane and channel: SKIP LOCKED lets dispatchers
    in other processes take the next rows instead of waiting, and the UPDATE is still
    conditional on the row being queued (SQLite has no row locks; the condition suffices)."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(
                status=Message.Status.QUEUED, lane=lane, channel=channel, next_attempt_at__lte=now
            )
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Message.objects.filter(pk__in=ids, status=Message.Status.QUEUED).update(
                status=Message.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
            )
    return ids, now


def messages_dispatch(*, channel: str) -> int:
    """Send one batch of due campaign messages on one channel and return how many were
    claimed. Takes tokens from the channel's rate limiter first and, when there are none, asks
    to be run again after the wait (campaign messages wait, they never fail for the limit).
    Enqueues its own successor before sending when the batch was full, so the next batch is
    claimed by another worker process while this one talks to the provider."""
    from ..tasks import messages_dispatch as task

    granted, wait = ratelimit.take(channel, conf.bulk_batch_size())
    if not granted:
        _enqueue_dispatch(task, channel, countdown=min(max(wait, 0.05), 1.0))
        return 0
    ids, claimed_at = claim_batch(channel=channel, limit=granted)
    if not ids:
        return 0
    if len(ids) == granted:
        _enqueue_dispatch(task, channel)
    messages = list(
        Message.objects.filter(pk__in=ids, status=Message.Status.SENDING, claimed_at=claimed_at)
    )
    suppressed = set()
    if channel == Channel.SMS:
        suppressed = set(
            Suppression.objects.filter(address__in={m.address for m in messages}).values_list(
                "address", flat=True
            )
        )
    # A claim covers the whole batch, so the batch must finish well inside the claim timeout or
    # the sweeper would hand its tail to another worker while this one is still sending it.
    # Messages not started within the budget go back to queued untouched.
    # The budget counts from the claim itself, not from here: reading the batch and a busy
    # machine already spent part of it.
    timeout = conf.claim_timeout_seconds()
    budget = max(timeout - 2 * conf.provider_timeout_seconds(), timeout / 4)
    spent = (timezone.now() - claimed_at).total_seconds()
    deadline = time.monotonic() + budget - max(0.0, spent)

    def send(message: Message) -> Outcome | None:
        if time.monotonic() > deadline:
            return None
        return attempt(message, suppressed=message.address in suppressed)

    outcomes = list(_executor().map(send, messages))
    unsent = [m.pk for m, o in zip(messages, outcomes, strict=True) if o is None]
    if unsent:
        Message.objects.filter(
            pk__in=unsent, status=Message.Status.SENDING, claimed_at=claimed_at
        ).update(status=Message.Status.QUEUED, attempts=F("attempts") - 1, enqueued_at=None)
        logger.warning("alerts dispatcher ran out of time: %s messages put back", len(unsent))
    pairs = [(m, o) for m, o in zip(messages, outcomes, strict=True) if o is not None]
    sent = [(m, o) for m, o in pairs if o.provider_id]
    if sent:
        # One UPDATE for the whole batch; still conditional on our claim.
        Message.objects.filter(
            pk__in=[m.pk for m, _ in sent], status=Message.Status.SENDING, claimed_at=claimed_at
        ).update(
            status=Message.Status.SENT,
            sent_at=timezone.now(),
            in_doubt=False,
            error_code="",
            error="",
            provider_id=Case(
                *[When(pk=m.pk, then=Value(o.provider_id[:64])) for m, o in sent],
                default=F("provider_id"),
            ),
        )
    for message, outcome in pairs:
        if not outcome.provider_id:
            record_outcome(message, outcome)
    return len(ids)


def _enqueue_dispatch(task, channel: str, countdown: float | None = None) -> None:
    if conf.eager():
        return  # embedded: the sweeper or the next message drives the bulk lane
    try:
        task.apply_async(args=[channel], queue=QUEUE_FOR_LANE[Lane.BULK], countdown=countdown)
    except Exception:  # broker down: the sweeper kicks the dispatcher again
        logger.warning("alerts dispatcher re-enqueue failed: channel=%s", channel)


# --- provider callbacks ----------------------------------------------------------------------

# Twilio's delivery error codes that are about the number itself.
_DELIVERY_ERRORS = {
    "30003": ErrorCode.UNDELIVERED,  # handset unreachable (off, out of coverage)
    "30004": ErrorCode.REJECTED,  # message blocked
    "30005": ErrorCode.INVALID_ADDRESS,  # unknown destination handset
    "30006": ErrorCode.LANDLINE,  # landline or unreachable carrier
    "30007": ErrorCode.REJECTED,  # carrier filtering
    "21610": ErrorCode.OPTED_OUT,
}


def message_status_update(*, provider_id: str, status: str, error_code: str = "") -> str:
    """Apply a provider's delivery callback (SMS MessageStatus or voice CallStatus).

    delivered/completed → delivered; undelivered/failed/busy/no-answer → failed with a coded
    reason, marking the contact point when the reason is about it, and falling back. Conditional
    on the current status, so a repeated or out-of-order callback changes nothing."""
    now = timezone.now()
    status = status.lower()
    with transaction.atomic():
        if status in ("delivered", "completed", "read"):
            updated = Message.objects.filter(
                provider_id=provider_id,
                status__in=[Message.Status.SENT, Message.Status.SENDING],
            ).update(status=Message.Status.DELIVERED, delivered_at=now)
            return "delivered" if updated else "ignored"
        if status not in ("undelivered", "failed", "busy", "no-answer", "canceled"):
            return "ignored"
        message = (
            Message.objects.select_for_update()
            .filter(provider_id=provider_id, status=Message.Status.SENT)
            .first()
        )
        if message is None:
            return "ignored"
        code = _DELIVERY_ERRORS.get(str(error_code), ErrorCode.UNDELIVERED)
        Message.objects.filter(pk=message.pk, status=Message.Status.SENT).update(
            status=Message.Status.FAILED,
            failed_at=now,
            error_code=code,
            error=f"provider status {status} {error_code}".strip()[:300],
        )
        logger.info("alerts delivery failed: message=%s reason=%s", message.pk, code)
        after_failure(message, code=code)
        return "failed"
