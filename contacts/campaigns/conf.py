"""Campaign settings, each overridable in config/settings.py (tests: pytest-django's `settings`)
or read at call time."""

from datetime import time, timedelta

from django.conf import settings


def _get(name: str, default):
    return getattr(settings, name, default)


def quiet_hours() -> tuple[time, time]:
    """The local window (in each school's time zone) in which reminders may go out."""
    start, end = _get("CAMPAIGNS_SEND_WINDOW", ("08:00", "20:00"))
    return time.fromisoformat(start), time.fromisoformat(end)


def chunk_size() -> int:
    """Guardians per fan-out chunk: one transaction writes their recipients, links and messages.
    Each chunk costs a dozen statements and a commit besides its rows; 2,000 guardians keep that
    small beside the rows while the campaign row stays locked well under a second."""
    return int(_get("CAMPAIGNS_CHUNK", 2000))


def link_base_url() -> str:
    """The public origin the portal links in messages point to."""
    return (
        str(_get("CAMPAIGNS_LINK_BASE_URL", "") or _get("ALERTS_PUBLIC_BASE_URL", "")).rstrip("/")
        or "http://localhost:8000"
    )


def link_ttl_after_close() -> timedelta:
    """A campaign's links stay valid this long after the campaign closes."""
    return timedelta(days=int(_get("CAMPAIGNS_LINK_GRACE_DAYS", 2)))


def fanout_budget_seconds() -> float:
    """How long one fan-out task writes chunks before handing the rest to its successor."""
    return float(_get("CAMPAIGNS_FANOUT_BUDGET", 20.0))


def readiness_days() -> int:
    return int(_get("CAMPAIGNS_READINESS_DAYS", 365))


def office_phone_default() -> str:
    """Read out in voice messages when the school's office has no phone of its own on file."""
    return str(_get("CAMPAIGNS_OFFICE_PHONE", ""))
