"""Portal settings, each overridable in config/settings.py or the environment-driven settings."""

from datetime import timedelta

from django.conf import settings


def _get(name: str, default):
    return getattr(settings, name, default)


def code_ttl() -> timedelta:
    return timedelta(seconds=_get("PORTAL_CODE_TTL_SECONDS", 600))


def code_max_attempts() -> int:
    return _get("PORTAL_CODE_MAX_ATTEMPTS", 5)


def session_age() -> timedelta:
    return timedelta(seconds=_get("PORTAL_SESSION_AGE_SECONDS", 2 * 60 * 60))


def link_ttl() -> timedelta:
    return timedelta(days=_get("PORTAL_LINK_TTL_DAYS", 14))


def rate_per_identifier() -> tuple[int, int]:
    """(requests, window in seconds) for "send me a code" per phone or email, from anywhere: the
    burst before the slower rate below applies."""
    return tuple(_get("PORTAL_RATE_PER_IDENTIFIER", (5, 3600)))


def rate_per_identifier_after_burst() -> tuple[int, int]:
    """(requests, window in seconds) per phone or email and client address once the burst is
    spent: slower, never zero, and one address's requests never use up another's."""
    return tuple(_get("PORTAL_RATE_PER_IDENTIFIER_AFTER_BURST", (1, 600)))


def rate_per_ip() -> tuple[int, int]:
    return tuple(_get("PORTAL_RATE_PER_IP", (30, 3600)))


def affidavit_max_age() -> timedelta:
    return timedelta(days=_get("PORTAL_AFFIDAVIT_MAX_AGE_DAYS", 365))


def choice_ttl() -> timedelta:
    """How long a guardian has, after a right code on a shared address, to say who they are."""
    return timedelta(seconds=_get("PORTAL_CHOICE_TTL_SECONDS", 5 * 60))


def staff_login_rate_per_user() -> tuple[int, int]:
    """(tries, window in seconds) of staff password sign-in per username and client address."""
    return tuple(_get("STAFF_LOGIN_RATE_PER_USER", (10, 900)))


def staff_login_rate_per_ip() -> tuple[int, int]:
    return tuple(_get("STAFF_LOGIN_RATE_PER_IP", (100, 900)))


def purge_after() -> timedelta:
    """How long spent codes, choices, links and sessions are kept before housekeeping deletes
    them (contacts/portal/services/housekeeping.py)."""
    return timedelta(days=_get("PORTAL_PURGE_AFTER_DAYS", 7))
