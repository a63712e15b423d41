"""Typed settings for reunify, read at call time (a Django setting wins, then the environment,
then the default), so tests can change them with pytest-django's `settings` fixture."""

import os

from django.conf import settings

from privacy.errors import DomainError


def outreach_wait_minutes() -> int:
    """REUNIFY_OUTREACH_WAIT_MINUTES: how long an adult has to answer before the next one is
    asked (default 15). Zero, a negative number or no number is refused: a wait of 0 would ask
    every adult at once."""
    raw = getattr(settings, "REUNIFY_OUTREACH_WAIT_MINUTES", None)
    if raw is None:
        raw = os.environ.get("REUNIFY_OUTREACH_WAIT_MINUTES", "")
    if raw in ("", None):
        return 15
    return check_wait_minutes(raw, field="REUNIFY_OUTREACH_WAIT_MINUTES")


def check_wait_minutes(raw, *, field: str) -> int:
    try:
        minutes = int(raw)
    except (TypeError, ValueError):
        minutes = None
    if minutes is None or isinstance(raw, bool) or str(raw).strip() != str(minutes):
        raise DomainError(
            f"{field}: must be a whole number of minutes.", code="invalid_wait", field=field
        )
    if minutes < 1 or minutes > 720:
        raise DomainError(
            f"{field}: the wait must be from 1 to 720 minutes (0 or less would ask every adult "
            "at once).",
            code="invalid_wait",
            field=field,
        )
    return minutes
