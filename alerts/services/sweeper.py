"""The sweeper: the reason a lost broker message or a killed worker never loses a notification."""

import logging
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from .. import conf
from ..models import Lane, Message
from .outbox import QUEUE_FOR_LANE, kick_dispatch

logger = logging.getLogger(__name__)

SWEEP_LIMIT = 5000


def messages_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Re-enqueue what the broker may have lost. Safe to run anywhere, any number of times at
    once: every step is a conditional UPDATE, and enqueuing a message twice is harmless
    because delivery claims the row.

    1. A claim older than ALERTS_CLAIM_TIMEOUT belongs to a dead worker: the message goes back
       to queued, marked in doubt (the provider is asked before it is sent again).
    2. A queued message that is due and was not handed to the broker within the grace period
       is enqueued again (per message for the emergency and default lanes; the bulk lane gets
       a dispatcher kick per channel).

    Returns counts for the log and the tests. Raises nothing for a broker outage."""
    now = now or timezone.now()
    reclaimed = Message.objects.filter(
        status=Message.Status.SENDING,
        claimed_at__lt=now - timedelta(seconds=conf.claim_timeout_seconds()),
    ).update(status=Message.Status.QUEUED, in_doubt=True, next_attempt_at=now, enqueued_at=None)
    grace = now - timedelta(seconds=conf.sweep_grace_seconds())
    due = Message.objects.filter(status=Message.Status.QUEUED, next_attempt_at__lte=now).filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=grace)
    )
    bulk_channels = set(
        due.filter(lane=Lane.BULK).values_list("channel", flat=True).distinct().order_by()
    )
    rows = list(
        due.exclude(lane=Lane.BULK)
        .order_by("-emergency", "next_attempt_at")
        .values_list("pk", "lane")[:SWEEP_LIMIT]
    )
    if rows:
        Message.objects.filter(pk__in=[pk for pk, _ in rows]).update(enqueued_at=now)
    enqueued = _enqueue(rows)
    if conf.eager():
        # Embedded: there is no dispatcher loop; deliver bulk messages one by one.
        bulk_rows = list(due.filter(lane=Lane.BULK).values_list("pk", "lane")[:SWEEP_LIMIT])
        enqueued += _enqueue(bulk_rows)
    else:
        for channel in sorted(bulk_channels):
            kick_dispatch(channel, parallel=2)
    counts = {"reclaimed": reclaimed, "enqueued": enqueued, "bulk_channels": len(bulk_channels)}
    if reclaimed or enqueued or bulk_channels:
        logger.info(
            "alerts sweep: reclaimed=%s enqueued=%s bulk_channels=%s",
            reclaimed,
            enqueued,
            len(bulk_channels),
        )
    return counts


def _enqueue(rows: list[tuple[int, str]]) -> int:
    from ..tasks import message_deliver

    count = 0
    for pk, lane in rows:
        try:
            message_deliver.apply_async(args=[pk], queue=QUEUE_FOR_LANE[lane])
        except (BrokerError, ConnectionError, OSError):
            logger.warning("alerts sweep could not reach the broker; next sweep will retry")
            break
        count += 1
    return count
