"""Reads for the staff review queue: who asked for each pending pickup adult, and when.

The answer comes from the audit log, the record of who changed what: the entry that last put
the link into "pending review", either when it was added (contacts.student_contact.added with
that status) or when its pickup status changed to it (contacts.student_contact.pickup_pending_review).
A guardian acting in the portal is recorded as "portal:person:<id>", a staff member as a user.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Q

from contacts.models import Person, StudentContact
from privacy.models import AuditEntry

from .services.signin import PORTAL_ACTOR_PREFIX

PENDING = StudentContact.Pickup.PENDING
ADDED = "contacts.student_contact.added"
MADE_PENDING = f"contacts.student_contact.pickup_{PENDING}"


@dataclass(frozen=True)
class ReviewRequest:
    """A pending pickup adult with who asked for them and when (None when no audit entry says,
    as for a link written before the audit log or by an import)."""

    link: StudentContact
    asked_by: str | None
    asked_by_guardian: bool
    asked_at: datetime.datetime | None


def review_requests_of(links: list[StudentContact]) -> list[ReviewRequest]:
    """The links (already scoped to the actor by pending_pickups_visible_to), in their order,
    each with its request. Two queries whatever the number of links."""
    if not links:
        return []
    entries = (
        AuditEntry.objects.filter(
            Q(action=ADDED, after__pickup_status=PENDING) | Q(action=MADE_PENDING),
            object_type=StudentContact._meta.label_lower,
            object_id__in=[str(link.pk) for link in links],
        )
        .select_related("actor")
        .order_by("-at", "-id")
    )
    latest: dict[str, AuditEntry] = {}
    for entry in entries:
        latest.setdefault(entry.object_id, entry)
    guardian_ids = {_guardian_id(entry) for entry in latest.values()} - {None}
    names = {
        person.pk: person.display_name for person in Person.objects.filter(pk__in=guardian_ids)
    }
    requests = []
    for link in links:
        entry = latest.get(str(link.pk))
        asked_by, by_guardian = _requester(entry, names)
        requests.append(
            ReviewRequest(
                link=link,
                asked_by=asked_by,
                asked_by_guardian=by_guardian,
                asked_at=entry.at if entry else None,
            )
        )
    return requests


def _guardian_id(entry: AuditEntry) -> int | None:
    """The guardian who acted in the portal, or None for a staff, import or system write."""
    label = entry.actor_label
    if entry.actor_id is not None or not label.startswith(PORTAL_ACTOR_PREFIX):
        return None
    suffix = label.removeprefix(PORTAL_ACTOR_PREFIX)
    return int(suffix) if suffix.isdigit() else None


def _requester(entry: AuditEntry | None, names: dict[int, str]) -> tuple[str | None, bool]:
    """(the name of who asked, whether they are a guardian), or (None, False) if unknown."""
    if entry is None:
        return None, False
    if entry.actor is not None:
        return entry.actor.get_full_name() or entry.actor.get_username(), False
    guardian_id = _guardian_id(entry)
    if guardian_id is None:
        return None, False
    return names.get(guardian_id), True
