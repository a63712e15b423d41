"""Typed settings of the release and the school event (an affidavit's validity is the portal's
PORTAL_AFFIDAVIT_MAX_AGE_DAYS, one year by default), read at call time (a Django setting wins,
then the environment, then the default), so tests can change them with pytest-django's
`settings` fixture."""

import os
from datetime import timedelta

from django.conf import settings

CODE_ATTEMPTS = 5


def _raw(name: str):
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, "")
    return value


def _int(name: str, default: int, *, least: int = 1) -> int:
    raw = _raw(name)
    if raw in ("", None):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from exc
    if value < least:
        raise ValueError(f"{name} must be at least {least}")
    return value


def code_lifetime() -> timedelta:
    """REUNIFY_RELEASE_CODE_MINUTES: how long a guardian's one-time code may be entered
    (default 30)."""
    return timedelta(minutes=_int("REUNIFY_RELEASE_CODE_MINUTES", 30))


def self_release_grade() -> int | None:
    """REUNIFY_SELF_RELEASE_GRADE: from which grade a student may leave a school event on their
    own with an official's recorded approval; empty (the default) means never."""
    raw = _raw("REUNIFY_SELF_RELEASE_GRADE")
    if raw in ("", None, False):
        return None
    return _int("REUNIFY_SELF_RELEASE_GRADE", 0)


def checkin_link_days() -> int:
    """REUNIFY_CHECKIN_LINK_DAYS: how long a school event notice's check-in link works (default
    2 days)."""
    return _int("REUNIFY_CHECKIN_LINK_DAYS", 2)


def public_base_url() -> str:
    """REUNIFY_PUBLIC_URL: where families reach Reunify (the check-in link of a notice)."""
    return str(_raw("REUNIFY_PUBLIC_URL") or "http://localhost:8000").rstrip("/")
