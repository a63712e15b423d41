"""The message templates reunify sends through alerts, and how a case message finds its
destination. Registered with alerts in ReunifyConfig.ready(); translated in reunify/locale.

A pickup request names the district, the student(s) and the school and its address, and asks
for YES or NO. It never says why a guardian is unavailable. A drill's messages start with a
DRILL prefix and go to the staff member who opened the case, never to a family."""

from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from alerts.models import Channel, Fallback
from alerts.services import OutgoingMessage
from alerts.templates import language_for
from contacts.models import ContactPoint, Person

from .models import Case

PICKUP_FLOW = "reunify.pickup"
CAUSE_TYPE = "reunify.case"

TEMPLATES = {
    "reunify.pickup_request": (
        _("{drill}Can you pick up a student today?"),
        _(
            "{drill}{district}: please pick up {students} today at {places}. "
            "Reply YES if you can come, NO if you cannot. Case {case}."
        ),
    ),
    "reunify.pickup_confirmed": (
        _("{drill}Thank you: pickup confirmed"),
        _(
            "{drill}{district}: thank you. Please come to {places} for {students}. "
            "Bring an ID if you have one. Case {case}."
        ),
    ),
    "reunify.support_resource": (
        _("{drill}A resource for your family"),
        _("{drill}{district}: a resource for your family: {name}. {text} {contact}"),
    ),
}

DRILL_PREFIX = _("DRILL, practice only: ")


def drill_prefix(case: Case, language: str) -> str:
    if not case.drill:
        return ""
    with translation.override(language_for(language)):
        return str(DRILL_PREFIX)


@dataclass(frozen=True)
class Target:
    channel: str
    address: str
    contact_point_id: int | None


def target_for(points: list[ContactPoint]) -> Target | None:
    """An adult's first channel: SMS to a phone that takes it, else a voice call, else email.
    Only reachable contact points (not invalid, not opted out)."""
    reachable = [p for p in points if p.reachable]
    for point in reachable:
        if point.kind == ContactPoint.Kind.PHONE and point.sms_capable:
            return Target(Channel.SMS, point.value, point.pk)
    for point in reachable:
        if point.kind == ContactPoint.Kind.PHONE:
            return Target(Channel.VOICE, point.value, point.pk)
    for point in reachable:
        if point.kind == ContactPoint.Kind.EMAIL:
            return Target(Channel.EMAIL, point.value, point.pk)
    return None


def outgoing(
    *,
    case: Case,
    person: Person,
    points: list[ContactPoint],
    template_key: str,
    context: dict[str, Any],
    idempotency_key: str,
    reply_flow: str = "",
    fallback_context: dict[str, Any] | None = None,
) -> tuple[OutgoingMessage | None, str]:
    """The message for `person` about `case`, and the channel it goes on ("" when there is
    nowhere to send it). A drill's message goes to the opener's own email with no fallback and
    no recipient, so no resolver can ever find the family's real numbers."""
    language = person.preferred_language
    values = {**context, "drill": drill_prefix(case, language), "case": case.number}
    common = {
        "purpose": template_key,
        "template_key": template_key,
        "language": language,
        "context": values,
        "idempotency_key": idempotency_key,
        "emergency": True,
        "cause_type": CAUSE_TYPE,
        "cause_id": case.pk,
    }
    if case.drill:
        email = case.opened_by.email
        if not email:
            return None, ""
        message = OutgoingMessage(
            channel=Channel.EMAIL, address=email, fallback=Fallback.NONE, **common
        )
        return message, Channel.EMAIL
    target = target_for(points)
    if target is None:
        return None, ""
    message = OutgoingMessage(
        channel=target.channel,
        address=target.address,
        contact_point_id=target.contact_point_id,
        recipient_person_id=person.pk,
        fallback=Fallback.CHANNEL,
        fallback_context=fallback_context or {},
        reply_flow=reply_flow,
        **common,
    )
    return message, target.channel
