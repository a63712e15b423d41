"""Changes a signed-in guardian makes to their family's contacts.

Every write goes through contacts.services (which validate, lock and audit each row). These
services add the portal's rules on top, in one transaction so nothing is saved half-way: a
guardian changes only the non-guardian contacts of their own children, a new pickup adult starts
as pending review and the other custodial guardians are told, and the last adult allowed to pick
a child up is never dropped without an explicit confirmation.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from alerts.services import message_queue
from contacts import services as contact_services
from contacts.lib.phones import normalize_email, normalize_phone
from contacts.models import ContactPoint, Person, Student, StudentContact
from privacy.errors import Conflict, DomainError
from privacy.services import audit_record

from ..models import MessagePreference
from ..selectors import children_ids_of
from .signin import portal_actor

Pickup = StudentContact.Pickup


def _renamed(error: DomainError, field: str) -> DomainError:
    """The same error, reported against the form field the guardian typed into."""
    if error.field == field:
        return error
    return type(error)(error.message, code=error.code, field=field, status=error.status)


def _check_not_duplicate(students: Iterable[Student], first_name: str, last_name: str, phone: str):
    links = StudentContact.objects.filter(student__in=list(students)).select_related("person")
    if ContactPoint.objects.filter(
        kind=ContactPoint.Kind.PHONE, value=phone, person__student_links__in=links
    ).exists():
        raise Conflict(
            "phone: this phone number already belongs to one of the child's contacts.",
            code="duplicate",
            field="phone",
        )
    name = (first_name.strip().casefold(), last_name.strip().casefold())
    for link in links:
        if (link.person.first_name.casefold(), link.person.last_name.casefold()) == name:
            raise Conflict(
                "first_name: this person is already one of the child's contacts.",
                code="duplicate",
                field="first_name",
            )


def _reachable_point(person: Person) -> ContactPoint | None:
    """Where a non-emergency message to this adult goes, honouring their channel choice."""
    preference = MessagePreference.objects.filter(person=person).first()
    wanted = preference.channels() if preference else ["sms", "email"]
    points = [p for p in person.contact_points.all() if p.reachable]
    for channel in wanted:
        for point in points:
            if channel == "sms" and point.kind == "phone" and point.sms_capable:
                return point
            if channel == "email" and point.kind == "email":
                return point
            if channel == "voice" and point.kind == "phone":
                return point
    return None


def _notify_other_guardians(*, guardian: Person, adult: Person, links: list[StudentContact]):
    """Tell every other custodial guardian of these children that a pickup adult was added.
    Written to the outbox in the caller's transaction."""
    students = {link.student_id: link.student for link in links}
    guardianships = (
        StudentContact.objects.guardianships()
        .filter(student_id__in=students)
        .exclude(person_id=guardian.pk)
        .values_list("person_id", "student_id")
    )
    children_of_other: dict[int, list[Student]] = defaultdict(list)
    for person_id, student_id in guardianships:
        children_of_other[person_id].append(students[student_id])
    others = Person.objects.filter(pk__in=children_of_other).prefetch_related("contact_points")
    link_ids = "-".join(str(link.pk) for link in links)
    digest = hashlib.sha256(link_ids.encode()).hexdigest()[:24]
    for other in others:
        point = _reachable_point(other)
        if point is None:
            continue
        names = ", ".join(s.display_name for s in children_of_other[other.pk])
        message_queue(
            channel=("sms" if point.sms_capable else "voice") if point.kind == "phone" else "email",
            address=point.value,
            purpose="portal.pickup_pending",
            template_key="portal.pickup_pending",
            language=other.preferred_language,
            context={"adult": adult.display_name, "students": names},
            idempotency_key=f"portal.pickup_pending:{digest}:{other.pk}",
            recipient_person_id=other.pk,
            contact_point_id=point.pk,
        )


def _check_last_pickup(link: StudentContact, confirm: bool) -> None:
    if confirm or link.pickup_status != Pickup.ALLOWED:
        return
    others = StudentContact.objects.filter(student_id=link.student_id, pickup_status=Pickup.ALLOWED)
    if not others.exclude(pk=link.pk).exists():
        raise DomainError(
            "confirm: this is the last adult allowed to pick the child up.",
            code="last_pickup_adult",
            field="confirm",
            extra={"student": link.student_id},
        )


@transaction.atomic
def household_confirm(*, guardian: Person) -> int:
    """ "Everything is correct" for all the guardian's children at once: every contact of each of
    the guardian's children (`Student.objects.children_of`) is marked verified, but a prohibited
    adult's. Returns how many contact relations were marked verified.

    One audit entry per child (`contacts.student.confirmed`, the guardian as actor), written in
    the same transaction as the change by `contacts.services.students_confirm`: the record of
    who confirmed which child, and when."""
    students = [Student(pk=pk) for pk in children_ids_of(guardian)]
    return contact_services.students_confirm(actor=portal_actor(guardian), students=students)


@transaction.atomic
def portal_contact_add(
    *,
    guardian: Person,
    students: list[Student],
    first_name: str,
    last_name: str,
    relationship: str,
    phone: str,
    email: str = "",
    emergency: bool = True,
    pickup: bool = False,
) -> Person:
    """Add an adult as a contact of some of the guardian's children.

    An emergency contact goes last in each child's call order. A pickup adult starts as pending
    review and every other custodial guardian of those children is sent a message. Raises
    DomainError naming the field: students, first_name, last_name, relationship, phone (invalid
    or already a contact of the child: "duplicate"), email. Nothing is saved unless all succeeds.
    """
    if not students:
        raise DomainError("students: choose at least one child.", code="required", field="students")
    allowed = set(children_ids_of(guardian))
    if any(s.pk not in allowed for s in students):
        raise DomainError("students: not your child.", code="invalid_choice", field="students")
    phone_value = normalize_phone(phone, field="phone")
    email_value = normalize_email(email, field="email") if (email or "").strip() else ""
    _check_not_duplicate(students, first_name, last_name, phone_value)

    actor = portal_actor(guardian)
    adult = contact_services.person_create(
        actor=actor,
        first_name=first_name,
        last_name=last_name,
        preferred_language=guardian.preferred_language,
    )
    contact_services.contact_point_add(actor=actor, person=adult, kind="phone", value=phone_value)
    if email_value:
        contact_services.contact_point_add(
            actor=actor, person=adult, kind="email", value=email_value, label="other"
        )
    links = []
    for student in students:
        links.append(
            contact_services.student_contact_add(
                actor=actor,
                student=student,
                person=adult,
                relationship=relationship,
                emergency_priority=(
                    contact_services.next_free_priority(student) if emergency else None
                ),
                pickup_status=Pickup.PENDING if pickup else Pickup.NOT_ALLOWED,
                source=StudentContact.Source.PORTAL,
            )
        )
    if pickup:
        _notify_other_guardians(guardian=guardian, adult=adult, links=links)
    audit_record(
        actor=actor,
        action="portal.contact.added",
        obj=adult,
        after={"students": [s.pk for s in students], "emergency": emergency, "pickup": pickup},
    )
    return adult


def _person_is_household_only(guardian: Person, person: Person) -> bool:
    allowed = set(children_ids_of(guardian))
    return set(person.student_links.values_list("student_id", flat=True)) <= allowed


@transaction.atomic
def portal_contact_update(
    *,
    guardian: Person,
    link: StudentContact,
    first_name: str,
    last_name: str,
    relationship: str,
    phone: str,
    emergency_priority: int | None,
    pickup: bool,
    confirm: bool = False,
) -> StudentContact:
    """Change a contact of one child: the adult's name and phone, the relationship, the place in
    the call order, and whether they may pick the child up (turning it on asks staff to review
    it again and tells the other guardians). Raises DomainError naming the field; a priority
    held by someone else is "priority_taken"; dropping the last allowed pickup adult without
    `confirm` is "last_pickup_adult"."""
    actor = portal_actor(guardian)
    person = link.person
    phone_value = normalize_phone(phone, field="phone")
    phones = [p for p in person.contact_points.all() if p.kind == ContactPoint.Kind.PHONE]
    name_changed = (first_name.strip(), last_name.strip()) != (person.first_name, person.last_name)
    phone_changed = not phones or phones[0].value != phone_value
    if (name_changed or phone_changed) and not _person_is_household_only(guardian, person):
        raise DomainError(
            "first_name: this adult is also a contact of other children; ask the school office.",
            code="shared_contact",
            field="first_name" if name_changed else "phone",
        )
    if name_changed:
        contact_services.person_update(
            actor=actor, person=person, first_name=first_name, last_name=last_name
        )
    if phone_changed:
        try:
            if phones:
                contact_services.contact_point_update(
                    actor=actor, contact_point=phones[0], value=phone_value
                )
            else:
                contact_services.contact_point_add(
                    actor=actor, person=person, kind="phone", value=phone_value
                )
        except DomainError as error:
            raise _renamed(error, "phone") from error

    changes: dict = {"relationship": relationship, "emergency_priority": emergency_priority}
    newly_pickup = pickup and link.pickup_status == Pickup.NOT_ALLOWED
    if newly_pickup:
        changes["pickup_status"] = Pickup.PENDING
    elif not pickup and link.pickup_status in (Pickup.ALLOWED, Pickup.PENDING):
        _check_last_pickup(link, confirm)
        changes["pickup_status"] = Pickup.NOT_ALLOWED
    link = contact_services.student_contact_update(actor=actor, link=link, **changes)
    if newly_pickup:
        _notify_other_guardians(guardian=guardian, adult=person, links=[link])
    audit_record(
        actor=actor,
        action="portal.contact.updated",
        obj=link,
        after={"pickup": pickup, "emergency_priority": link.emergency_priority},
    )
    return link


@transaction.atomic
def portal_contact_remove(*, guardian: Person, link: StudentContact, confirm: bool = False):
    """Remove an adult from one child's contacts. Raises DomainError "last_pickup_adult" when
    this is the child's last adult allowed to pick up, unless `confirm`."""
    _check_last_pickup(link, confirm)
    actor = portal_actor(guardian)
    audit_record(
        actor=actor,
        action="portal.contact.removed",
        obj=link,
        before={"student": link.student_id, "person": link.person_id},
    )
    contact_services.student_contact_remove(actor=actor, link=link)


@transaction.atomic
def portal_contact_move(*, guardian: Person, link: StudentContact, direction: str) -> bool:
    """Move an adult one place up or down in a child's call order ("up" on someone who is not an
    emergency contact yet makes them the last one). Returns whether the order changed: "up" on
    the first and "down" on the last (or on someone not in the order) change nothing and write
    no audit entry. Raises DomainError "invalid_choice" (field "direction") for anything but up
    or down."""
    if direction not in ("up", "down"):
        raise DomainError("direction: up or down.", code="invalid_choice", field="direction")
    order = list(
        StudentContact.objects.filter(student_id=link.student_id, emergency_priority__isnull=False)
        .order_by("emergency_priority")
        .values_list("person_id", flat=True)
    )
    if link.person_id not in order:
        if direction == "down":
            return False
        order.append(link.person_id)
    else:
        i = order.index(link.person_id)
        j = i - 1 if direction == "up" else i + 1
        if not 0 <= j < len(order):
            return False
        order[i], order[j] = order[j], order[i]
    contact_services.student_contacts_reorder(
        actor=portal_actor(guardian), student=link.student, person_ids=order
    )
    return True
