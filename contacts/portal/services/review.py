"""Staff decisions on pickup adults added in the portal."""

from django.db import transaction

from contacts import services as contact_services
from contacts.models import StudentContact
from privacy.errors import Conflict
from privacy.services import access_record_many, audit_record


@transaction.atomic
def pickup_review_decide(*, actor, link: StudentContact, approve: bool) -> StudentContact:
    """Approve (pickup allowed) or reject (not allowed) a pending pickup adult. Locks the row;
    raises Conflict "already_decided" if another staff member decided first. The caller loads
    `link` through get_pending_pickup_for, which limits it to the actor's schools."""
    current = StudentContact.objects.select_for_update().get(pk=link.pk)
    if current.pickup_status != StudentContact.Pickup.PENDING:
        raise Conflict(
            "decision: this request was already decided.", code="already_decided", field="decision"
        )
    status = StudentContact.Pickup.ALLOWED if approve else StudentContact.Pickup.NOT_ALLOWED
    link = contact_services.student_contact_update(actor=actor, link=current, pickup_status=status)
    audit_record(
        actor=actor,
        action="portal.pickup.approved" if approve else "portal.pickup.rejected",
        obj=link,
        before={"pickup_status": StudentContact.Pickup.PENDING},
        after={"pickup_status": status},
    )
    return link


def review_queue_viewed(*, actor, link_ids: list[int]) -> None:
    """Staff were shown these pending pickup adults: one access entry per student concerned."""
    student_ids = sorted(
        set(StudentContact.objects.filter(pk__in=link_ids).values_list("student_id", flat=True))
    )
    access_record_many(
        actor=actor,
        action="portal.review_queue.viewed",
        object_type="contacts.student",
        object_ids=student_ids,
    )
