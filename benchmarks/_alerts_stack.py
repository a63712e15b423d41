"""Shared set-up for the alerts benchmarks: a PostgreSQL database, a Redis db, the Twilio fake in
its own process, and `celery worker` processes, all on this machine."""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/reunify_bench_alerts"
DEFAULT_BROKER = "redis://127.0.0.1:6379/5"


def setup_django() -> dict[str, str]:
    """Settings for the benchmark and its workers (they inherit this environment), the
    database created and migrated, and a refusal to empty a database that is not a bench one."""
    import benchmarks

    os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    os.environ.setdefault("CELERY_BROKER_URL", DEFAULT_BROKER)
    os.environ.setdefault("SECRET_KEY", "benchmark")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    benchmarks.setup_django()
    benchmarks.check_disposable_database()
    return dict(os.environ)


def empty_outbox() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE alerts_message, alerts_inboundmessage")


class Beat:
    """Plays celery beat for the benchmark: the sweeper every 15 s, as in production, so a
    message whose attempt failed is picked up again instead of stalling the run."""

    def __init__(self, every: float = 15.0) -> None:
        self.every = every
        self.next = time.monotonic() + every

    def tick(self) -> None:
        if time.monotonic() >= self.next:
            from alerts.services import messages_sweep

            messages_sweep()
            self.next = time.monotonic() + self.every


def purge_broker(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.delete("emergency", "default", "bulk", "unacked", "unacked_index")
    for key in client.keys("alerts:*"):
        client.delete(key)


def start_worker(fake, **extra: str) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        {
            "TWILIO_ACCOUNT_SID": fake.account_sid,
            "TWILIO_AUTH_TOKEN": fake.auth_token,
            "TWILIO_API_BASE_URL": fake.url,
            "TWILIO_FROM_NUMBER": "+13125550100",
            "ALERTS_TRANSPORT_SMS": "twilio",
            # The benchmarks send no email; a worker refuses to start without a transport.
            "ALERTS_TRANSPORT_EMAIL": "console",
        }
    )
    env.update(extra)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "emergency,default,bulk",
            "-l",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"bench-{time.monotonic_ns()}@%h",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process


def stop_worker(process: subprocess.Popen) -> None:
    import signal

    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def insert_backlog(count: int, prefix: str) -> None:
    from django.utils import timezone

    from alerts.models import Lane, Message
    from alerts.templates import render_template

    now = timezone.now()
    for start in range(0, count, 5000):
        Message.objects.bulk_create(
            [
                Message(
                    channel="sms",
                    address=f"+1202555{i % 10000:04d}",
                    purpose="campaign.verify",
                    template_key="portal.code",
                    body=render_template("portal.code", "en", "sms", {"code": f"{prefix}{i}"})[1],
                    lane=Lane.BULK,
                    idempotency_key=f"{prefix}{i}",
                    next_attempt_at=now,
                    enqueued_at=now,
                )
                for i in range(start, min(count, start + 5000))
            ]
        )
