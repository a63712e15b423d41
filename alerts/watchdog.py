"""A worker that stops taking tasks must not stay up looking healthy.

After a Redis restart a Celery worker sometimes reconnects but never reads its queues again
(celery #8796, #9054, kombu #2629): the process lives, the broker has work, nothing is sent. For
a system whose messages say "can you pick up the children today?", that is an outage with no
error. This consumer step checks, every ALERTS_WATCHDOG_INTERVAL seconds, the queues this worker
consumes: when they hold tasks while the worker has taken none and runs none for
ALERTS_WATCHDOG_STALLS checks in a row, it logs the stall and shuts the worker down, so that its
supervisor (docker-compose `restart: unless-stopped`, systemd) starts a fresh one. Outbox rows are
not lost meanwhile: the sweeper enqueues them again.
"""

import logging
import os
import signal
import threading
import time

import redis
from celery import bootsteps
from celery.signals import task_received
from celery.worker import state

from . import conf

logger = logging.getLogger(__name__)
EXIT_CODE = 75  # EX_TEMPFAIL: "try again", for supervisors that look at it

_last_received = time.monotonic()


@task_received.connect
def _on_task_received(**kwargs) -> None:
    global _last_received
    _last_received = time.monotonic()


class ConsumerWatchdog(bootsteps.StartStopStep):
    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self.tref = None
        self.stalls = 0

    def start(self, c) -> None:
        if not c.app.conf.broker_url.startswith(("redis://", "rediss://")):
            return
        interval = conf.setting_float("ALERTS_WATCHDOG_INTERVAL", 10.0)
        if interval <= 0:
            return
        self.stalls = 0
        self.tref = c.timer.call_repeatedly(interval, self.check, (c,), priority=10)

    def stop(self, c) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    def check(self, c) -> None:
        waiting = self.waiting(c)
        interval = conf.setting_float("ALERTS_WATCHDOG_INTERVAL", 10.0)
        idle = not state.active_requests and not state.reserved_requests
        quiet = time.monotonic() - _last_received > interval
        if waiting and idle and quiet:
            self.stalls += 1
        else:
            self.stalls = 0
        if self.stalls >= int(conf.setting_float("ALERTS_WATCHDOG_STALLS", 3)):
            logger.error(
                "alerts watchdog: %s tasks wait and this worker takes none; restarting it", waiting
            )
            self.stalls = 0
            shutdown()

    @staticmethod
    def waiting(c) -> int:
        """Tasks waiting in this worker's queues, or 0 when the broker cannot be asked."""
        # The queues the worker was started for (-Q), not the consumer's current list: a stalled
        # consumer may have lost its registrations.
        names = list(c.app.amqp.queues.consume_from or c.app.amqp.queues)
        if not names:
            return 0
        try:
            client = redis.Redis.from_url(
                c.app.conf.broker_url, socket_connect_timeout=2, socket_timeout=2
            )
            try:
                return sum(client.llen(name) for name in names)
            finally:
                client.close()
        except redis.RedisError:
            return 0  # the broker is down: the consumer is already reconnecting


def shutdown() -> None:
    """A warm shutdown (nothing runs, so it is quick), and a hard exit if that hangs."""
    threading.Timer(15.0, os._exit, (EXIT_CODE,)).start()
    os.kill(os.getpid(), signal.SIGTERM)
