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


def embedded() -> bool:
    """The embedded install (no DATABASE_URL: a laptop, the demo), where nothing leaves the
    machine unless asked to."""
    return bool(getattr(settings, "EMBEDDED", True))


def transport_name(channel: str) -> str:
    """Which transport a channel uses: ALERTS_TRANSPORT_SMS / _VOICE / _EMAIL when set. Otherwise,
    embedded: Twilio when an account is configured, else the console (the demo's phone).
    Outside the embedded install there is no console by default: Twilio for SMS and voice, SMTP
    for email, and `require_delivery_configured` refuses to start without their settings."""
    chosen = setting_str(f"ALERTS_TRANSPORT_{channel.upper()}")
    if chosen:
        return chosen
    if channel in ("sms", "voice"):
        if not embedded() or setting_str("TWILIO_ACCOUNT_SID"):
            return "twilio"
        return "console"
    return "console" if embedded() else "smtp"


TWILIO_SETTINGS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")


def missing_delivery_settings() -> list[str]:
    """The settings a real transport needs and lacks, outside the embedded install: Twilio's for
    SMS and voice, EMAIL_URL for email (unset, Django would quietly try an SMTP server on
    localhost). A channel given a transport explicitly (ALERTS_TRANSPORT_*) needs none of them."""
    if embedded():
        return []
    missing: list[str] = []
    if any(transport_name(c) == "twilio" for c in ("sms", "voice")):
        missing += [name for name in TWILIO_SETTINGS if not setting_str(name)]
    if transport_name("email") in ("smtp", "email") and not setting_str("EMAIL_URL"):
        missing.append("EMAIL_URL")
    return missing


def console_channels_outside_demo() -> list[str]:
    """Channels sent to the console transport outside the embedded install (set explicitly, as
    tests and CI may): nothing reaches the family."""
    if embedded():
        return []
    return [c for c in ("sms", "voice", "email") if transport_name(c) == "console"]


def delivery_problem() -> str:
    missing = missing_delivery_settings()
    if not missing:
        return ""
    return (
        f"Reunify cannot deliver messages: set {', '.join(missing)} (Twilio carries SMS and "
        "voice; EMAIL_URL names the mail relay, e.g. smtp+tls://user:pass@relay:587). Only the "
        "embedded demo (no DATABASE_URL) runs without them."
    )


def require_delivery_configured() -> None:
    """Called when a web or worker process starts: outside the embedded install, refuse to run
    without real transports, instead of printing one-time codes to a log."""
    from django.core.exceptions import ImproperlyConfigured

    problem = delivery_problem()
    if problem:
        raise ImproperlyConfigured(problem)


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
