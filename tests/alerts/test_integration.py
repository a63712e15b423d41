"""Against PostgreSQL, Redis and real `celery worker` processes. Skipped on the embedded run.

Run locally with:
  TEST_DATABASE_NAME=test_alerts DATABASE_URL=postgres://postgres@127.0.0.1:5432/alerts \
  SECRET_KEY=dev CELERY_BROKER_URL=redis://127.0.0.1:6379/3 \
  pytest tests/alerts -m integration
"""

import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from django.db import transaction
from django.utils import timezone

from alerts.models import Lane, Message
from alerts.services import OutgoingMessage, message_queue, messages_queue_many, messages_sweep
from alerts.services.outbox import kick_dispatch
from alerts.templates import render_template
from tests.fakes.twilio import RemoteFakeTwilio

from .workers import (
    ROOT,
    TIMINGS,
    PrivateRedis,
    Worker,
    broker_url,
    purge,
    require_real_stack,
    worker_env,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def same_timings_as_the_workers(settings):
    for name, value in TIMINGS.items():
        setattr(settings, name, float(value))


@pytest.fixture
def remote_twilio():
    """The Twilio fake in its own process: at these volumes its HTTP threads would otherwise
    starve the test process of the GIL."""
    require_real_stack()
    fake = RemoteFakeTwilio()
    yield fake
    fake.stop()


@pytest.fixture
def stack(remote_twilio):
    fake_twilio = remote_twilio
    require_real_stack()
    purge(broker_url())
    workers: list[Worker] = []

    def start(**extra) -> Worker:
        worker = Worker(worker_env(fake_twilio, broker_url(), **extra)).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
    purge(broker_url())


def queue_many(prefix: str, count: int, *, bulk_share: int = 10) -> None:
    """Through the service other apps use for a campaign: one transaction, enqueued on commit.
    One message in `bulk_share` is a sign-in code (default lane, a task each), the rest a
    campaign (bulk lane, the dispatcher)."""
    with transaction.atomic():
        messages_queue_many(
            messages=[
                OutgoingMessage(
                    channel="sms",
                    address=f"+1202555{i % 10000:04d}",
                    purpose="portal.code" if i % bulk_share == 0 else "campaign.verify",
                    template_key="portal.code",
                    language="en",
                    context={"code": f"{prefix}-{i}"},
                    idempotency_key=f"{prefix}-{i}",
                )
                for i in range(count)
            ]
        )


def codes_in_ledger(fake) -> Counter:
    return Counter(e.form["Body"].split("code is ")[1].split(".")[0] for e in fake.created())


def wait_all_sent(prefix: str, count: int, fake, timeout: float, sweep=True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sweep:
            messages_sweep()  # what celery beat does every 15 s in production
        sent = Message.objects.filter(
            idempotency_key__startswith=prefix, status=Message.Status.SENT
        ).count()
        if sent == count:
            return
        time.sleep(1)
    statuses = Counter(
        Message.objects.filter(idempotency_key__startswith=prefix).values_list("status", flat=True)
    )
    pytest.fail(f"not all sent after {timeout}s: {dict(statuses)}, ledger {fake.created_count()}")


def test_ten_thousand_messages_survive_repeated_sigkill_exactly_once(stack, remote_twilio):
    fake_twilio = remote_twilio
    fake_twilio.set_latency(0.005)
    count = 10_000
    worker = stack()
    killer_done = threading.Event()

    def killer():
        nonlocal worker
        for threshold in (1500, 4000, 6500):
            while fake_twilio.created_count() < threshold and not killer_done.is_set():
                time.sleep(0.2)
            worker.kill()
            print(f"killed at {fake_twilio.created_count()}", file=sys.stderr)
            time.sleep(1)
            worker = stack()
        killer_done.set()

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    t0 = time.monotonic()
    queue_many("k", count)
    print(f"queued {count} in {time.monotonic() - t0:.1f}s", file=sys.stderr)
    wait_all_sent("k-", count, fake_twilio, timeout=180)
    print(f"all sent after {time.monotonic() - t0:.1f}s", file=sys.stderr)
    killer_done.set()
    thread.join(timeout=30)
    ledger = codes_in_ledger(fake_twilio)
    assert len(ledger) == count
    assert sorted(code for code, n in ledger.items() if n > 1) == []
    assert set(ledger) == {f"k-{i}" for i in range(count)}
    # The kills really landed mid-run: some messages needed the reconciliation path.
    assert Message.objects.filter(attempts__gt=1).exists()


def test_redis_stopped_for_thirty_seconds_loses_and_doubles_nothing(remote_twilio):
    fake_twilio = remote_twilio
    broker = PrivateRedis().start()
    env = worker_env(fake_twilio, broker.url)
    worker = Worker(env, concurrency=2, supervised=True).start()
    count = 1500
    producer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.alerts.producer",
            "--count",
            str(count),
            "--rate",
            "40",
            "--prefix",
            "r",
            "--deadline",
            "90",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        time.sleep(5)
        sent_before = len(fake_twilio.created())
        broker.stop()
        time.sleep(30)
        broker.start()
        assert producer.wait(timeout=150) == 0
    finally:
        producer.kill()
        worker.stop()
        broker.stop()
    ledger = codes_in_ledger(fake_twilio)
    assert 0 < sent_before < count
    assert len(ledger) == count
    assert max(ledger.values()) == 1
    assert Message.objects.filter(status=Message.Status.SENT).count() == count


def test_provider_failures_retry_then_fall_back_with_a_real_worker(stack, remote_twilio):
    fake_twilio = remote_twilio
    from alerts import registry

    stack()
    # Per number: the four messages race across the worker's processes, so "the next
    # request" would hit any of them.
    fake_twilio.for_number("+12025550001", "status", 500, times=1)
    fake_twilio.for_number("+12025550002", "error", 21211)
    fake_twilio.for_number("+12025550003", "error", 21614)
    fake_twilio.for_number("+12025550004", "timeout", 3)
    with transaction.atomic():
        for n in (1, 2, 3, 4):
            message_queue(
                channel="sms",
                address=f"+1202555000{n}",
                purpose="portal.code",
                template_key="portal.code",
                language="en",
                context={"code": f"f-{n}"},
                idempotency_key=f"f-{n}",
                emergency=True,
                fallback="none",
            )
    # Emergency retries start at ~2 s; the timeout is in doubt and must not be resent.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        messages_sweep()
        states = dict(Message.objects.values_list("idempotency_key", "status"))
        if states.get("f-1") == "sent" and states.get("f-4") == "sent":
            break
        time.sleep(1)
    rows = {m.idempotency_key: m for m in Message.objects.all()}
    assert rows["f-1"].status == "sent" and rows["f-1"].attempts == 2
    assert (rows["f-2"].status, rows["f-2"].error_code) == ("failed", "invalid_address")
    assert (rows["f-3"].status, rows["f-3"].error_code) == ("failed", "landline")
    assert rows["f-4"].status == "sent"
    ledger = codes_in_ledger(fake_twilio)
    assert ledger["f-1"] == 1 and ledger["f-4"] == 1
    assert "f-2" not in ledger and "f-3" not in ledger
    assert registry  # fallback itself is covered in test_fallback; here: classification


def test_emergency_message_overtakes_a_campaign_backlog(stack, remote_twilio):
    fake_twilio = remote_twilio
    backlog = 50_000
    _, body = render_template("portal.code", "en", "sms", {"code": "bulk"})
    now = timezone.now()
    for start in range(0, backlog, 5000):
        Message.objects.bulk_create(
            [
                Message(
                    channel="sms",
                    address=f"+1202555{i % 10000:04d}",
                    purpose="campaign.verify",
                    template_key="portal.code",
                    body=body,
                    lane=Lane.BULK,
                    idempotency_key=f"b-{i}",
                    next_attempt_at=now,
                    enqueued_at=now,
                )
                for i in range(start, start + 5000)
            ]
        )
    # Campaigns are rate-limited: the backlog drains at 300/s while the worker stays busy.
    stack(ALERTS_RATE_SMS="300")
    kick_dispatch("sms", parallel=4)
    assert fake_twilio.wait_for(300, timeout=30)
    before = time.monotonic()
    with transaction.atomic():
        message_queue(
            channel="sms",
            address="+13125550177",
            purpose="portal.code",
            template_key="portal.code",
            language="en",
            context={"code": "urgent"},
            idempotency_key="urgent",
            emergency=True,
        )
    deadline = before + 10
    while time.monotonic() < deadline:
        hits = fake_twilio.created(to="+13125550177")
        if hits:
            break
        time.sleep(0.05)
    assert hits, "the emergency message never reached the provider"
    latency = hits[0].at - (time.time() - (time.monotonic() - before))
    print(f"emergency message reached the provider after {latency:.3f}s", file=sys.stderr)
    assert latency < 2.0, f"emergency message took {latency:.2f}s behind the backlog"
    assert Message.objects.filter(lane=Lane.BULK, status="queued").count() > 10_000


def test_a_worker_that_stops_consuming_is_restarted_by_its_watchdog(remote_twilio):
    """The stall seen after some Redis restarts (the worker is up, its queue fills, it takes
    nothing) is reproduced by cancelling its consumer: the watchdog must shut it down so that its
    supervisor starts a fresh one, and every message must still go out once."""
    from config.celery import app

    fake_twilio = remote_twilio
    purge(broker_url())
    env = worker_env(fake_twilio, broker_url(), ALERTS_WATCHDOG_INTERVAL="1")
    worker = Worker(env, concurrency=2, queues="default", supervised=True).start()
    try:
        deadline = time.monotonic() + 30
        while not app.control.ping(timeout=0.5) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert app.control.cancel_consumer("default", reply=True, timeout=2)
        with transaction.atomic():
            for n in range(5):
                message_queue(
                    channel="sms",
                    address=f"+1202555010{n}",
                    purpose="portal.code",
                    template_key="portal.code",
                    language="en",
                    context={"code": f"w-{n}"},
                    idempotency_key=f"watchdog-{n}",
                )
        assert fake_twilio.wait_for(5, timeout=60), "the stalled worker was never replaced"
    finally:
        worker.stop()
        purge(broker_url())
    assert worker.restarts >= 1
    assert Counter(e.form["To"] for e in fake_twilio.created()) == {
        f"+1202555010{n}": 1 for n in range(5)
    }
