"""Integration helper run as a process: queue messages through the outbox at a steady rate,
then play the part of celery beat (a sweep a second) until every message left the outbox;
exits 1 if some are still pending after --deadline seconds.

python -m tests.alerts.producer --count 2000 --rate 100 --prefix run1 --deadline 120
"""

import argparse
import os
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--deadline", type=float, default=120.0)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import transaction

    from alerts.models import Message
    from alerts.services import message_queue, messages_sweep

    start = time.monotonic()
    next_sweep = start + 1
    for i in range(args.count):
        with transaction.atomic():
            message_queue(
                channel="sms",
                address=f"+1202555{i % 10000:04d}",
                purpose="campaign.verify" if i % 2 else "portal.code",
                template_key="portal.code",
                language="en",
                context={"code": f"{args.prefix}-{i}"},
                idempotency_key=f"{args.prefix}-{i}",
            )
        delay = start + (i + 1) / args.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if time.monotonic() >= next_sweep:
            messages_sweep()
            next_sweep = time.monotonic() + 1
    # The deadline counts from the last message queued, not from the start: how long queuing
    # took depends on how long the broker was away.
    end = time.monotonic() + args.deadline
    pending = -1
    while time.monotonic() < end:
        messages_sweep()
        pending = Message.objects.filter(
            idempotency_key__startswith=f"{args.prefix}-",
            status__in=[Message.Status.QUEUED, Message.Status.SENDING],
        ).count()
        if not pending:
            return
        time.sleep(1)
    print(f"producer: {pending} messages still pending after {args.deadline}s", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
    main()
