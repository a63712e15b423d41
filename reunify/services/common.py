"""What every reunify service shares: the acting user, and the case's timeline."""

from typing import Any

from django.utils import timezone

from ..models import Case, CaseStudent, TimelineEntry


def actor_user(actor):
    """The staff user behind `actor`, or None for "system", "reply", "tick"."""
    return actor if actor is not None and not isinstance(actor, str) else None


def display_name(user) -> str:
    if user is None:
        return "system"
    return user.get_full_name() or user.get_username()


def timeline_entry(
    *,
    case: Case,
    action: str,
    actor=None,
    text: str = "",
    case_student: CaseStudent | None = None,
    data: dict[str, Any] | None = None,
    at=None,
) -> TimelineEntry:
    """An unsaved timeline entry (for bulk_create)."""
    user = actor_user(actor)
    return TimelineEntry(
        case=case,
        case_student=case_student,
        at=at or timezone.now(),
        actor=user,
        actor_label=display_name(user) if user is not None else str(actor or "system"),
        action=action,
        text=text[:300],
        data=data or {},
    )


def timeline_add(**kwargs) -> TimelineEntry:
    entry = timeline_entry(**kwargs)
    entry.save()
    return entry
