"""What contacts tells alerts, through alerts' registry (alerts never imports contacts).

- When a message proves a contact point bad (invalid number, landline for SMS, bounce) or its
  owner texts STOP/START, the contact point's status changes here, through the service.
- After a permanent failure, the next channel of the same person: SMS to a mobile, then a voice
  call to any working phone, then email, skipping what was already tried.
"""

from alerts.registry import ContactPointEvent, Destination, FallbackRequest

from . import services
from .models import ContactPoint, Person

ACTOR = "alerts"
STATUS_FOR_EVENT = {
    "invalid": ContactPoint.Status.INVALID,
    "opted_out": ContactPoint.Status.OPTED_OUT,
    "opted_in": ContactPoint.Status.UNVERIFIED,
}


def on_contact_point_event(event: ContactPointEvent) -> None:
    status = STATUS_FOR_EVENT.get(event.status)
    if status is None:
        return
    points = ContactPoint.objects.all()
    if event.contact_point_id:
        points = points.filter(pk=event.contact_point_id)
    else:  # an inbound STOP names only the number it came from
        points = points.filter(value=event.address)
    for point in points:
        if event.status == "opted_in" and point.status != ContactPoint.Status.OPTED_OUT:
            continue
        services.contact_point_update(
            actor=ACTOR,
            contact_point=point,
            status=status,
            last_failure=event.reason or event.status,
        )


def next_channel(request: FallbackRequest) -> Destination | None:
    if request.recipient_person_id is None:
        return None
    person = Person.objects.filter(pk=request.recipient_person_id).first()
    if person is None:
        return None
    reachable = list(ContactPoint.objects.reachable().filter(person=person).order_by("id"))
    candidates = [(p, "sms") for p in reachable if p.kind == "phone" and p.sms_capable]
    candidates += [(p, "voice") for p in reachable if p.kind == "phone"]
    candidates += [(p, "email") for p in reachable if p.kind == "email"]
    for point, channel in candidates:
        if (point.pk, channel) in request.tried:
            continue
        if point.pk == request.failed_contact_point_id and channel == request.failed_channel:
            continue
        return Destination(
            channel=channel,
            address=point.value,
            contact_point_id=point.pk,
            recipient_person_id=person.pk,
            language=person.preferred_language,
        )
    return None
