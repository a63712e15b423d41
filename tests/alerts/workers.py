"""Real components for the integration suite: a `celery worker` subprocess on the test
database, a private redis-server the test may stop, and the skip rule for the embedded run."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
QUEUES = "emergency,default,bulk"

# Short timeouts, shared by the workers and by the test process, which plays celery beat and
# runs the sweeper: the sweeper decides when a claim is stale, so it must use the same values.
TIMINGS = {
    "ALERTS_PROVIDER_TIMEOUT": "2",
    "ALERTS_CLAIM_TIMEOUT": "10",
    # Longer than a healthy queue takes to reach a task: a shorter grace has the sweeper
    # enqueue every waiting message again at each pass, which only slows the run down.
    "ALERTS_SWEEP_GRACE": "8",
    # A worker whose consumer stalls after a broker restart exits after 3 quiet checks.
    "ALERTS_WATCHDOG_INTERVAL": "3",
}


def require_real_stack() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        pytest.skip("integration: DATABASE_URL is not a PostgreSQL URL")
    if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"):
        pytest.skip("integration: CELERY_BROKER_URL is not set to Redis")


def test_database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] or "postgres"
    if s.get("PASSWORD"):
        auth = f"{auth}:{s['PASSWORD']}"
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def purge(broker_url: str) -> None:
    """Empty our queues (and kombu's unacked set) so no task of an earlier run is replayed."""
    client = redis.Redis.from_url(broker_url)
    keys = ["emergency", "default", "bulk", "unacked", "unacked_index", "unacked_mutex"]
    keys += [k.decode() for k in client.keys("alerts:*")]
    client.delete(*keys)


def worker_env(fake_twilio, broker_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": test_database_url(),
            "CELERY_BROKER_URL": broker_url,
            "SECRET_KEY": os.environ.get("SECRET_KEY", "integration"),
            "CONN_MAX_AGE": "60",
            "TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
            "TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
            "TWILIO_API_BASE_URL": fake_twilio.url,
            "TWILIO_FROM_NUMBER": "+13125550100",
            "ALERTS_TRANSPORT_SMS": "twilio",
            "ALERTS_TRANSPORT_VOICE": "twilio",
            # Explicit: outside the embedded install a worker refuses to start without an
            # email transport, and these tests send no email.
            "ALERTS_TRANSPORT_EMAIL": "console",
            **TIMINGS,
            "ALERTS_RATE_SMS": "0",
            "LOG_LEVEL": "WARNING",
        }
    )
    env.pop("TEST_DATABASE_NAME", None)
    env.update(extra)
    return env


class Worker:
    def __init__(
        self,
        env: dict[str, str],
        concurrency: int = 4,
        queues: str = QUEUES,
        supervised: bool = False,
    ):
        self.env, self.concurrency, self.queues = env, concurrency, queues
        self.process: subprocess.Popen | None = None
        # supervised: restart the worker whenever it exits, as docker-compose's
        # `restart: unless-stopped` does in production.
        self.supervised = supervised
        self.restarts = 0
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None

    def start(self) -> "Worker":
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                self.queues,
                "-c",
                str(self.concurrency),
                "-l",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"alerts-it-{os.getpid()}-{time.monotonic_ns()}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            # Its own process group, so a SIGKILL takes the pool children with it.
            start_new_session=True,
            stdout=self._log(),
            stderr=subprocess.STDOUT,
        )
        if self.supervised and self._supervisor is None:
            self._supervisor = threading.Thread(target=self._supervise, daemon=True)
            self._supervisor.start()
        return self

    def _supervise(self) -> None:
        while not self._stopping.wait(0.5):
            if self.process is not None and self.process.poll() is not None:
                self.restarts += 1
                self.start()

    @staticmethod
    def _log():
        # ALERTS_IT_WORKER_LOG=/path appends every worker's output there (for a failing run);
        # by default they are quiet.
        path = os.environ.get("ALERTS_IT_WORKER_LOG")
        return open(path, "a") if path else subprocess.DEVNULL  # noqa: SIM115

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        self._stopping.set()
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


class PrivateRedis:
    """A redis-server of the test's own (never the shared one), without persistence, so a
    stop loses every queued task, as a crashed broker would."""

    def __init__(self, port: int = 6390):
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "PrivateRedis":
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def broker_url() -> str:
    return str(settings.CELERY_BROKER_URL)
