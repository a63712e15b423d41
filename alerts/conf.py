"""Typed settings for alerts, read at call time.

config/settings.py is shared by every app, so alerts reads its own knobs here: a Django setting of
the same name wins (tests use pytest-django's `settings` fixture), then the environment (the
worker subprocesses of the integration suite and the benchmarks are configured that way), then a
default that is safe for the embedded install.
"""

import os
from typing import Any

from django.conf import settings


def _raw(name: str) -> Any:
    if hasattr(settings, name):
        return getattr(settings, name)
    return os.environ.get(name)


def setting_str(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None or value == "" else str(value)


def setting_int(name: str, default: int) -> int:
    value = _raw(name)
    return default if value is None or value == "" else int(value)


def setting_float(name: str, default: float) -> float:
    value = _raw(name)
    return default if value is None or value == "" else float(value)


def eager() -> bool:
    """Whether tasks run in process. Asked of the Celery app itself rather than the Django
    setting: the app's configuration is what `apply_async` obeys, and it can be changed after
    settings were read (the test suite makes every non-integration test eager that way)."""
    from celery import current_app

    return bool(current_app.conf.task_always_eager)


def transport_name(channel: str) -> str:
    """Which transport a channel uses: ALERTS_TRANSPORT_SMS / _VOICE / _EMAIL, else Twilio when an
    account is configured (email: SMTP unless embedded), else the console."""
    chosen = setting_str(f"ALERTS_TRANSPORT_{channel.upper()}")
    if chosen:
        return chosen
    if channel in ("sms", "voice"):
        return "twilio" if setting_str("TWILIO_ACCOUNT_SID") else "console"
    # Embedded (no DATABASE_URL) means a laptop or a demo: nothing leaves the machine.
    return "console" if getattr(settings, "EMBEDDED", True) else "smtp"


# How long a queued message may sit without a worker taking it before the sweeper enqueues it
# again (a lost broker message), and how long a claim may last before it is presumed dead (a
# killed worker). The claim timeout must stay well above the provider timeout, or a slow but live
# worker could see its message reclaimed and sent twice.
def sweep_grace_seconds() -> float:
    return setting_float("ALERTS_SWEEP_GRACE", 60.0)


def claim_timeout_seconds() -> float:
    return setting_float("ALERTS_CLAIM_TIMEOUT", 120.0)


def provider_timeout_seconds() -> float:
    return setting_float("ALERTS_PROVIDER_TIMEOUT", 10.0)


def rate_per_second(channel: str) -> float:
    """Campaign (bulk lane) sending rate per channel; 0 disables the limit."""
    defaults = {"sms": 100.0, "voice": 10.0, "email": 50.0}
    return setting_float(f"ALERTS_RATE_{channel.upper()}", defaults.get(channel, 10.0))


def bulk_batch_size() -> int:
    return setting_int("ALERTS_BULK_BATCH", 200)


def bulk_concurrency() -> int:
    """Provider calls in flight at once inside one dispatcher task."""
    return setting_int("ALERTS_BULK_CONCURRENCY", 16)


def redis_url() -> str:
    url = setting_str("ALERTS_REDIS_URL") or str(getattr(settings, "CELERY_BROKER_URL", ""))
    return url if url.startswith(("redis://", "rediss://")) else ""
