"""Answers: a guardian who confirms or edits in the portal, replies YES, or is reached by the
school office is done for the campaign, and so are all their children.

Portal answers are read from the audit log the portal already writes (actor "portal:person:<id>")
rather than from a hook inside the portal's services: its confirm-all is one SQL statement on
PostgreSQL that no Django signal sees, and the audit entry is written in the same transaction as
the change, so it is there exactly when the change is.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alerts.models import Message
from contacts import services as contact_services
from contacts.models import Student
from contacts.portal.services.signin import PORTAL_ACTOR_PREFIX
from privacy.errors import DomainError
from privacy.models import AuditEntry
from privacy.services import audit_bulk, audit_record

from ..models import Campaign, Recipient
from .lifecycle import SYSTEM_ACTOR

Response = Recipient.Response
CONFIRMING = frozenset({contact_services.STUDENT_CONFIRMED})
# A guardian's own edits to their family's contacts (portal and contacts services, portal actor).
EDITING_PREFIXES = ("portal.contact.", "contacts.")
# Audit entries can commit out of id order; entries this recent are read again on each pass.
OVERLAP = timedelta(minutes=10)
CALL_OUTCOMES = (
    Response.PHONE_CONFIRMED,
    Response.PHONE_UPDATED,
    Response.WRONG_NUMBER,
    Response.NO_ANSWER,
)


def recipients_respond(
    *, actor, campaign: Campaign, person_ids: Iterable[int], response: str, at: datetime
) -> int:
    """Mark these guardians' recipients answered (only those still pending: a later answer never
    overwrites an earlier one) and their shared-phone partners with them. Returns how many
    recipients changed. Runs in the caller's transaction, or its own."""
    person_ids = list(person_ids)
    with transaction.atomic():
        answered = list(
            Recipient.objects.filter(
                campaign=campaign, person_id__in=person_ids, responded_at__isnull=True
            ).values_list("pk", flat=True)
        )
        if not answered:
            return 0
        Recipient.objects.filter(pk__in=answered, responded_at__isnull=True).update(
            response=response, responded_at=at
        )
        shared = Recipient.objects.filter(shared_with__in=answered, responded_at__isnull=True)
        shared_ids = list(shared.values_list("pk", flat=True))
        shared.update(response=Response.SHARED, responded_at=at)
        audit_bulk(
            actor=actor,
            action="campaigns.recipient.responded",
            label=Recipient._meta.label_lower,
            rows=[(str(pk), None, {"response": response}) for pk in answered]
            + [(str(pk), None, {"response": Response.SHARED}) for pk in shared_ids],
        )
    return len(answered) + len(shared_ids)


def portal_answers_collect(*, campaign_id: int, now: datetime | None = None) -> int:
    """Read the portal's audit entries written since the last pass and mark the guardians who
    confirmed or edited. Idempotent: only pending recipients change, and the overlap re-read
    finds nothing new to do. Returns how many recipients changed."""
    now = now or timezone.now()
    campaign = Campaign.objects.filter(pk=campaign_id).exclude(launched_at=None).first()
    if campaign is None:
        return 0
    entries = (
        AuditEntry.objects.filter(
            Q(pk__gt=campaign.audit_seen_id) | Q(at__gte=now - OVERLAP),
            at__gte=campaign.launched_at,
            actor_label__startswith=PORTAL_ACTOR_PREFIX,
        )
        .filter(
            Q(action__in=CONFIRMING)
            | Q(action__startswith=EDITING_PREFIXES[0])
            | Q(action__startswith=EDITING_PREFIXES[1])
        )
        .order_by()
        .values_list("pk", "actor_label", "action")
    )
    confirmed: set[int] = set()
    updated: set[int] = set()
    high = campaign.audit_seen_id
    for pk, label, action in entries:
        high = max(high, pk)
        person = label[len(PORTAL_ACTOR_PREFIX) :]
        if not person.isdigit():
            continue
        (confirmed if action in CONFIRMING else updated).add(int(person))
    changed = 0
    with transaction.atomic():
        if updated:
            changed += recipients_respond(
                actor=SYSTEM_ACTOR,
                campaign=campaign,
                person_ids=updated,
                response=Response.UPDATED,
                at=now,
            )
        if confirmed - updated:
            changed += recipients_respond(
                actor=SYSTEM_ACTOR,
                campaign=campaign,
                person_ids=confirmed - updated,
                response=Response.CONFIRMED,
                at=now,
            )
        Campaign.objects.filter(pk=campaign.pk, audit_seen_id__lt=high).update(audit_seen_id=high)
    return changed


def sms_reply_record(*, message_id: int, person_id: int | None, affirmative: bool) -> int:
    """A guardian replied to a campaign SMS. YES confirms every active child of theirs (and of
    the guardians sharing that phone) and marks them answered; anything else changes nothing.
    Runs inside the inbound webhook's transaction. Returns how many recipients changed."""
    if not affirmative or person_id is None:
        return 0
    cause = Message.objects.filter(pk=message_id).values_list("cause_type", "cause_id").first()
    if cause is None or cause[1] is None:
        return 0
    campaign = Campaign.objects.filter(pk=cause[1]).first()
    recipient = Recipient.objects.filter(campaign=campaign, person_id=person_id).first()
    if campaign is None or recipient is None or recipient.responded_at is not None:
        return 0
    household = [person_id, *recipient.sharers.values_list("person_id", flat=True)]
    actor = f"sms:person:{person_id}"
    contact_services.students_confirm(actor=actor, students=Student.objects.children_of(household))
    return recipients_respond(
        actor=actor,
        campaign=campaign,
        person_ids=[person_id],
        response=Response.SMS_YES,
        at=timezone.now(),
    )


@transaction.atomic
def call_outcome_record(*, actor, recipient: Recipient, outcome: str) -> Recipient:
    """The school office called a guardian from the call list. Every outcome counts as the
    guardian's answer (the office tried); "confirmed by phone" also marks the guardian's
    children's contacts verified, with the staff member as actor. A second call's outcome
    replaces the first. Raises DomainError (field "outcome") for an unknown outcome."""
    if outcome not in CALL_OUTCOMES:
        raise DomainError(
            "outcome: choose confirmed by phone, updated, wrong number or no answer.",
            code="unknown_outcome",
            field="outcome",
        )
    before = {"response": recipient.response}
    now = timezone.now()
    if outcome == Response.PHONE_CONFIRMED:
        contact_services.students_confirm(
            actor=actor, students=Student.objects.children_of(recipient.person_id)
        )
    Recipient.objects.filter(pk=recipient.pk).update(
        response=outcome, responded_at=now, called_by=actor
    )
    audit_record(
        actor=actor,
        action="campaigns.call.recorded",
        obj=recipient,
        before=before,
        after={"response": outcome},
    )
    recipient.refresh_from_db()
    return recipient
