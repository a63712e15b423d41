"""Sending support resources to a family from a task."""

from django.db import transaction
from django.utils import timezone

from alerts.services import messages_queue_many
from contacts.models import Person
from privacy.errors import DomainError
from privacy.services import audit_record

from .. import access, messages
from ..models import SupportResource, Task
from .common import timeline_add


def _family_adults(task: Task) -> list[Person]:
    """Who receives resources: the adult coming for the student, else the student's custodial
    guardians who are not unavailable in this case."""
    cs = task.case_student
    people = Person.objects.prefetch_related("contact_points")
    if cs.coming_adult_id:
        return list(people.filter(pk=cs.coming_adult_id))
    unavailable = task.case.guardians.values("person_id")
    return list(people.guardians_of(cs.student_id).exclude(pk__in=unavailable))


def support_resources_send(*, actor, task: Task, resource_ids: list[int]) -> int:
    """Send the chosen support resources to the family, each in the adult's language (SMS, or
    email where there is no SMS phone), through alerts; on the timeline. A drill sends to the
    opener. Returns how many messages were written. Raises DomainError for a task that is not a
    support task, an empty or unknown resource list, or a family nobody can be reached in."""
    if not access.can_act_on_task(actor, task):
        raise DomainError(
            "This task is assigned to someone else.", code="assigned_to_other", status=409
        )
    if task.kind != Task.Kind.SUPPORT:
        raise DomainError("task: not a support task.", code="invalid_task", field="task")
    if not resource_ids:
        raise DomainError("resources: choose at least one.", code="required", field="resources")
    resources = list(SupportResource.objects.filter(pk__in=resource_ids, active=True))
    if len(resources) != len(set(resource_ids)):
        raise DomainError("resources: unknown resource.", code="unknown", field="resources")
    adults = _family_adults(task)
    built = []
    for adult in adults:
        for resource in resources:
            contact = " ".join(x for x in (resource.phone, resource.address, resource.link) if x)
            message, _ = messages.outgoing(
                case=task.case,
                person=adult,
                points=list(adult.contact_points.all()),
                template_key="reunify.support_resource",
                context={
                    "name": resource.name,
                    "text": resource.text_in(adult.preferred_language),
                    "contact": contact,
                },
                idempotency_key=f"reunify.task.{task.pk}.support.{resource.pk}.{adult.pk}",
            )
            if message is not None:
                built.append(message)
    if not built:
        raise DomainError(
            "Nobody in the family can be reached by SMS or email.",
            code="unreachable",
            field="task",
        )
    with transaction.atomic():
        written = messages_queue_many(messages=built)
        timeline_add(
            case=task.case,
            case_student=task.case_student,
            action="support.sent",
            actor=actor,
            at=timezone.now(),
            text=f"Support resources sent: {', '.join(r.name for r in resources)}",
            data={"resources": [r.pk for r in resources], "messages": len(built)},
        )
        audit_record(
            actor=actor,
            action="reunify.support.sent",
            obj=task,
            after={"resources": [r.pk for r in resources], "recipients": [a.pk for a in adults]},
        )
    return written
