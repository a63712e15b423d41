"""Every write to people, contact points and student–adult relations.

Each service validates its input, writes in one transaction, and records an audit entry (who,
what, before, after) in that same transaction. `actor` is a staff user, or a label string for
writes that no staff user makes ("portal:person:12", "import:oneroster", "system"). A staff
actor is checked by contacts/access.py before anything is written (django's PermissionDenied, a
403 in the API), so no caller reaches a write its role may not make. Errors are
`privacy.errors.DomainError` with a code and the field they concern.
"""

from collections.abc import Iterable
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from privacy.errors import Conflict, DomainError, NotCollected
from privacy.minimisation import forbidden_keys
from privacy.services import audit_bulk, audit_record

from . import access
from .lib.phones import normalize_email, normalize_phone
from .models import ContactPoint, Person, Student, StudentContact

PERSON_FIELDS = ("first_name", "last_name", "preferred_language", "sis_id")
CONTACT_POINT_FIELDS = (
    "kind",
    "value",
    "label",
    "sms_capable",
    "status",
    "verified_at",
    "last_failure",
)
LINK_FIELDS = (
    "relationship",
    "legal_guardian",
    "lives_with",
    "emergency_priority",
    "pickup_status",
    "receives_notifications",
    "source",
    "verified_at",
)
LANGUAGES = ("en", "es", "ar", "vi")


@contextmanager
def _unique_or(conflict: Conflict):
    """Run an insert whose uniqueness was checked just before: a concurrent request that inserted
    the same row between the check and the insert makes it fail on the unique constraint, which
    is then `conflict` (a 409 naming the field), not a server error. Only the inner savepoint is
    rolled back."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise conflict from exc


def jsonable(values: dict[str, Any]) -> dict[str, Any]:
    """Field values as an audit entry stores them (dates as ISO strings)."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}


def snapshot(obj, fields: Iterable[str]) -> dict[str, Any]:
    return jsonable({name: getattr(obj, name) for name in fields})


def _check_changes(changes: dict[str, Any], allowed: Iterable[str]) -> None:
    bad = forbidden_keys(changes)
    if bad:
        raise NotCollected(bad)
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise DomainError(
            f"{unknown[0]}: this field cannot be changed here.",
            code="unknown_field",
            field=unknown[0],
        )


def _check_name(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(f"{field}: this field is required.", code="required", field=field)
    if len(value) > 100:
        raise DomainError(f"{field}: at most 100 characters.", code="too_long", field=field)
    return value


def _check_language(value: str) -> str:
    value = (value or "en").strip()
    # BCP 47: keep the tag, compare its primary subtag with the languages we write in.
    primary = value.split("-")[0].lower()
    if not primary.isalpha() or not 2 <= len(primary) <= 3:
        raise DomainError(
            f"preferred_language: '{value}' is not a language tag such as 'es' or 'vi'.",
            code="invalid_language",
            field="preferred_language",
        )
    return value


def _choice(value: str, choices, field: str) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise DomainError(
            f"{field}: '{value}' is not one of {allowed}.", code="invalid_choice", field=field
        )
    return value


# --- people ----------------------------------------------------------------------------------


@transaction.atomic
def person_create(
    *, actor, first_name: str, last_name: str, preferred_language: str = "en", sis_id=None
) -> Person:
    """Create an adult linked to no student (a district-wide role, or the portal). Raises
    DomainError for an empty name or a bad language tag, Conflict for a taken SIS id."""
    access.require_add_person(actor)
    return _person_insert(
        actor=actor,
        first_name=first_name,
        last_name=last_name,
        preferred_language=preferred_language,
        sis_id=sis_id,
    )


def _person_insert(*, actor, first_name: str, last_name: str, preferred_language: str, sis_id):
    person = Person(
        first_name=_check_name(first_name, "first_name"),
        last_name=_check_name(last_name, "last_name"),
        preferred_language=_check_language(preferred_language),
        sis_id=sis_id or None,
    )
    duplicate = Conflict(
        f"sis_id: a person with SIS id '{sis_id}' already exists.", code="duplicate", field="sis_id"
    )
    if person.sis_id and Person.objects.filter(sis_id=person.sis_id).exists():
        raise duplicate
    with _unique_or(duplicate):
        person.save()
    audit_record(
        actor=actor,
        action="contacts.person.created",
        obj=person,
        after=snapshot(person, PERSON_FIELDS),
    )
    return person


@transaction.atomic
def person_update(*, actor, person: Person, **changes) -> Person:
    """Change an adult's names or language. Locks the row; raises DomainError on bad values."""
    access.require_change_person(actor, person)
    _check_changes(changes, ("first_name", "last_name", "preferred_language"))
    person = Person.objects.select_for_update().get(pk=person.pk)
    before = snapshot(person, PERSON_FIELDS)
    for field in ("first_name", "last_name"):
        if field in changes:
            setattr(person, field, _check_name(changes[field], field))
    if "preferred_language" in changes:
        person.preferred_language = _check_language(changes["preferred_language"])
    after = snapshot(person, PERSON_FIELDS)
    if after != before:
        person.save()
        audit_record(
            actor=actor, action="contacts.person.updated", obj=person, before=before, after=after
        )
    return person


# --- contact points --------------------------------------------------------------------------


def normalize_contact_value(kind: str, value: str) -> str:
    if kind == ContactPoint.Kind.PHONE:
        return normalize_phone(value, field="value")
    if kind == ContactPoint.Kind.EMAIL:
        return normalize_email(value, field="value")
    raise DomainError(
        f"kind: '{kind}' is not one of phone, email.", code="invalid_choice", field="kind"
    )


@transaction.atomic
def contact_point_add(
    *,
    actor,
    person: Person,
    kind: str,
    value: str,
    label: str = ContactPoint.Label.MOBILE,
    sms_capable: bool | None = None,
) -> ContactPoint:
    """Add a phone or an email to a person, normalised (E.164, lower-case email).

    A new contact point is unverified. `sms_capable` defaults to True for a mobile phone.
    Raises DomainError (field "value") for a bad or duplicate value.
    """
    access.require_change_person(actor, person)
    return _contact_point_insert(
        actor=actor, person=person, kind=kind, value=value, label=label, sms_capable=sms_capable
    )


def _contact_point_insert(
    *, actor, person: Person, kind: str, value: str, label: str, sms_capable: bool | None
) -> ContactPoint:
    kind = _choice(kind, ContactPoint.Kind, "kind")
    label = _choice(label, ContactPoint.Label, "label")
    normalized = normalize_contact_value(kind, value)
    if sms_capable is None:
        sms_capable = kind == ContactPoint.Kind.PHONE and label == ContactPoint.Label.MOBILE
    if kind == ContactPoint.Kind.EMAIL:
        sms_capable = False
    duplicate = Conflict(
        "value: this person already has that contact point.", code="duplicate", field="value"
    )
    if ContactPoint.objects.filter(person=person, kind=kind, value=normalized).exists():
        raise duplicate
    with _unique_or(duplicate):
        point = ContactPoint.objects.create(
            person=person, kind=kind, value=normalized, label=label, sms_capable=bool(sms_capable)
        )
    audit_record(
        actor=actor,
        action="contacts.contact_point.added",
        obj=point,
        after=snapshot(point, CONTACT_POINT_FIELDS) | {"person": person.pk},
    )
    return point


@transaction.atomic
def contact_point_update(*, actor, contact_point: ContactPoint, **changes) -> ContactPoint:
    """Change a contact point. A changed value is normalised and becomes unverified again.

    A staff user may set the status to unverified, invalid or opted out (the family said so at
    the office), never to verified: only the verification flow (a code the adult received, a
    YES reply) proves a number works. Nor may staff lift an opt-out: only the adult can (START,
    or the portal). Both are DomainError `status_not_settable` on field "status"."""
    access.require_change_person(actor, contact_point.person)
    _check_changes(
        changes, ("value", "label", "sms_capable", "status", "verified_at", "last_failure")
    )
    point = ContactPoint.objects.select_for_update().get(pk=contact_point.pk)
    if "status" in changes and access.is_staff_actor(actor):
        _check_staff_status(point.status, changes["status"])
    before = snapshot(point, CONTACT_POINT_FIELDS)
    if "value" in changes:
        value = normalize_contact_value(point.kind, changes["value"])
        if value != point.value:
            if ContactPoint.objects.filter(
                person_id=point.person_id, kind=point.kind, value=value
            ).exists():
                raise Conflict(
                    "value: this person already has that contact point.",
                    code="duplicate",
                    field="value",
                )
            point.value = value
            point.status = ContactPoint.Status.UNVERIFIED
            point.verified_at = None
    if "label" in changes:
        point.label = _choice(changes["label"], ContactPoint.Label, "label")
    if "sms_capable" in changes:
        point.sms_capable = bool(changes["sms_capable"]) and point.kind == ContactPoint.Kind.PHONE
    if "status" in changes:
        point.status = _choice(changes["status"], ContactPoint.Status, "status")
        if point.status == ContactPoint.Status.VERIFIED:
            point.verified_at = changes.get("verified_at") or timezone.now()
    if "last_failure" in changes:
        point.last_failure = str(changes["last_failure"])[:200]
        point.last_failure_at = timezone.now()
    after = snapshot(point, CONTACT_POINT_FIELDS)
    if after != before:
        point.save()
        audit_record(
            actor=actor,
            action="contacts.contact_point.updated",
            obj=point,
            before=before,
            after=after,
        )
    return point


STAFF_SETTABLE_STATUSES = (
    ContactPoint.Status.UNVERIFIED,
    ContactPoint.Status.INVALID,
    ContactPoint.Status.OPTED_OUT,
)


def _check_staff_status(current: str, wanted: str) -> None:
    if wanted == current:
        return
    if wanted not in STAFF_SETTABLE_STATUSES:
        raise DomainError(
            f"status: staff may set {', '.join(STAFF_SETTABLE_STATUSES)}; a contact point becomes "
            "verified only when the adult confirms it.",
            code="status_not_settable",
            field="status",
        )
    if current == ContactPoint.Status.OPTED_OUT:
        raise DomainError(
            "status: the adult opted out; only they can opt in again (reply START, or the portal).",
            code="status_not_settable",
            field="status",
        )


def contact_point_mark_invalid(*, actor, contact_point: ContactPoint, reason: str) -> ContactPoint:
    """A carrier or mail server said this contact point does not work."""
    return contact_point_update(
        actor=actor,
        contact_point=contact_point,
        status=ContactPoint.Status.INVALID,
        last_failure=reason,
    )


@transaction.atomic
def contact_point_remove(*, actor, contact_point: ContactPoint) -> None:
    access.require_change_person(actor, contact_point.person)
    before = snapshot(contact_point, CONTACT_POINT_FIELDS) | {"person": contact_point.person_id}
    audit_record(
        actor=actor, action="contacts.contact_point.removed", obj=contact_point, before=before
    )
    contact_point.delete()


# --- student–adult relations -----------------------------------------------------------------


def _check_link_values(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "relationship" in out:
        out["relationship"] = _choice(
            out["relationship"], StudentContact.Relationship, "relationship"
        )
    if "pickup_status" in out:
        out["pickup_status"] = _choice(out["pickup_status"], StudentContact.Pickup, "pickup_status")
    if "source" in out:
        out["source"] = _choice(out["source"], StudentContact.Source, "source")
    for flag in ("legal_guardian", "lives_with", "receives_notifications"):
        if flag in out:
            out[flag] = bool(out[flag])
    if "emergency_priority" in out:
        priority = out["emergency_priority"]
        if priority in ("", None):
            out["emergency_priority"] = None
        else:
            try:
                priority = int(priority)
            except (TypeError, ValueError):
                priority = 0
            if not 1 <= priority <= 99:
                raise DomainError(
                    "emergency_priority: must be a whole number from 1 to 99, or empty.",
                    code="invalid_priority",
                    field="emergency_priority",
                )
            out["emergency_priority"] = priority
    return out


def _check_link_rules(link: StudentContact) -> None:
    if (
        link.pickup_status == StudentContact.Pickup.PROHIBITED
        and link.emergency_priority is not None
    ):
        raise DomainError(
            "emergency_priority: an adult who is prohibited from pickup cannot be an emergency contact.",
            code="prohibited_emergency_contact",
            field="emergency_priority",
        )
    if link.emergency_priority is not None:
        taken = (
            StudentContact.objects.filter(
                student_id=link.student_id, emergency_priority=link.emergency_priority
            )
            .exclude(pk=link.pk)
            .select_related("person")
            .first()
        )
        if taken is not None:
            raise Conflict(
                f"emergency_priority: priority {link.emergency_priority} already belongs to "
                f"{taken.person.display_name} for this student.",
                code="priority_taken",
                field="emergency_priority",
            )


@transaction.atomic
def student_contact_add(
    *,
    actor,
    student: Student,
    person: Person,
    relationship: str,
    legal_guardian: bool = False,
    lives_with: bool = False,
    emergency_priority: int | None = None,
    pickup_status: str = StudentContact.Pickup.NOT_ALLOWED,
    receives_notifications: bool = True,
    source: str = StudentContact.Source.STAFF,
) -> StudentContact:
    """Link an adult to a student. Raises Conflict if already linked or the priority is taken."""
    access.require_change_student_contacts(actor, student)
    return _link_insert(
        actor=actor,
        student=student,
        person=person,
        values={
            "relationship": relationship,
            "legal_guardian": legal_guardian,
            "lives_with": lives_with,
            "emergency_priority": emergency_priority,
            "pickup_status": pickup_status,
            "receives_notifications": receives_notifications,
            "source": source,
        },
    )


def _link_insert(*, actor, student: Student, person: Person, values: dict) -> StudentContact:
    values = _check_link_values(values)
    # Serialise changes to one student's contacts so two priority checks cannot interleave.
    Student.objects.select_for_update().filter(pk=student.pk).first()
    if StudentContact.objects.filter(student=student, person=person).exists():
        raise Conflict(
            "person: this adult is already a contact of this student.",
            code="duplicate",
            field="person",
        )
    link = StudentContact(student=student, person=person, **values)
    _check_link_rules(link)
    taken = Conflict(
        "emergency_priority: that priority was just taken.",
        code="priority_taken",
        field="emergency_priority",
    )
    with _unique_or(taken):  # a concurrent writer won the race the lock did not cover
        link.save()
    audit_record(
        actor=actor,
        action="contacts.student_contact.added",
        obj=link,
        after=snapshot(link, LINK_FIELDS) | {"student": student.pk, "person": person.pk},
    )
    return link


@transaction.atomic
def student_contact_add_new_person(
    *,
    actor,
    student: Student,
    first_name: str,
    last_name: str,
    preferred_language: str = "en",
    contact_points: Iterable[dict] = (),
    relationship: str,
    legal_guardian: bool = False,
    lives_with: bool = False,
    emergency_priority: int | None = None,
    pickup_status: str = StudentContact.Pickup.NOT_ALLOWED,
    receives_notifications: bool = True,
    source: str = StudentContact.Source.STAFF,
) -> StudentContact:
    """Add a new adult, with their phones and emails, as a contact of `student`, in one
    transaction: staff who may change the student's contacts add an adult the district did not
    know yet (an adult linked to no student is theirs to see only once linked).

    `contact_points` are dicts of kind, value and optionally label and sms_capable. Each write is
    audited as its own service would audit it. A bad value anywhere rolls everything back and is
    a DomainError naming the field inside the new adult (`new_person.contact_points[1].value`)."""
    access.require_change_student_contacts(actor, student)
    person = _nested(
        "new_person",
        lambda: _person_insert(
            actor=actor,
            first_name=first_name,
            last_name=last_name,
            preferred_language=preferred_language,
            sis_id=None,
        ),
    )
    for index, point in enumerate(contact_points):
        _nested(
            f"new_person.contact_points[{index}]",
            lambda point=point: _contact_point_insert(
                actor=actor,
                person=person,
                kind=point.get("kind", ""),
                value=point.get("value", ""),
                label=point.get("label") or ContactPoint.Label.MOBILE,
                sms_capable=point.get("sms_capable"),
            ),
        )
    return _link_insert(
        actor=actor,
        student=student,
        person=person,
        values={
            "relationship": relationship,
            "legal_guardian": legal_guardian,
            "lives_with": lives_with,
            "emergency_priority": emergency_priority,
            "pickup_status": pickup_status,
            "receives_notifications": receives_notifications,
            "source": source,
        },
    )


def _nested(prefix: str, write):
    """Run `write`; a DomainError it raises names its field under `prefix`."""
    try:
        return write()
    except DomainError as exc:
        field = f"{prefix}.{exc.field}" if exc.field else prefix
        message = exc.message
        if exc.field and message.startswith(f"{exc.field}:"):
            message = f"{field}:{message[len(exc.field) + 1 :]}"
        kind = Conflict if isinstance(exc, Conflict) else DomainError
        raise kind(message, code=exc.code, field=field, status=exc.status) from exc


@transaction.atomic
def student_contact_update(*, actor, link: StudentContact, **changes) -> StudentContact:
    """Change how an adult relates to a student (priority, pickup status, flags)."""
    access.require_change_student_contacts(actor, link.student)
    _check_changes(changes, LINK_FIELDS)
    values = _check_link_values(changes)
    Student.objects.select_for_update().filter(pk=link.student_id).first()
    link = StudentContact.objects.select_for_update().get(pk=link.pk)
    before = snapshot(link, LINK_FIELDS)
    for name, value in values.items():
        setattr(link, name, value)
    _check_link_rules(link)
    after = snapshot(link, LINK_FIELDS)
    if after != before:
        link.save()
        action = "contacts.student_contact.updated"
        if before["pickup_status"] != after["pickup_status"]:
            action = f"contacts.student_contact.pickup_{after['pickup_status']}"
        audit_record(actor=actor, action=action, obj=link, before=before, after=after)
    return link


@transaction.atomic
def student_contact_remove(*, actor, link: StudentContact) -> None:
    access.require_change_student_contacts(actor, link.student)
    before = snapshot(link, LINK_FIELDS) | {"student": link.student_id, "person": link.person_id}
    audit_record(actor=actor, action="contacts.student_contact.removed", obj=link, before=before)
    link.delete()


@transaction.atomic
def student_contacts_reorder(*, actor, student: Student, person_ids: list[int]) -> None:
    """Make `person_ids` the student's emergency contacts, priorities 1..n in that order; every
    other adult of the student stops being an emergency contact. Raises DomainError if an id is
    not a contact of the student, is repeated, or is prohibited from pickup."""
    access.require_change_student_contacts(actor, student)
    Student.objects.select_for_update().filter(pk=student.pk).first()
    links = {
        link.person_id: link
        for link in StudentContact.objects.filter(student=student).select_for_update()
    }
    if len(set(person_ids)) != len(person_ids):
        raise DomainError(
            "person_ids: an adult is listed twice.", code="duplicate", field="person_ids"
        )
    for pid in person_ids:
        link = links.get(pid)
        if link is None:
            raise DomainError(
                f"person_ids: {pid} is not a contact of this student.",
                code="unknown_person",
                field="person_ids",
            )
        if link.pickup_status == StudentContact.Pickup.PROHIBITED:
            raise DomainError(
                "person_ids: an adult who is prohibited from pickup cannot be an emergency contact.",
                code="prohibited_emergency_contact",
                field="person_ids",
            )
    before = {str(pid): link.emergency_priority for pid, link in links.items()}
    # Clear first, then number: the unique (student, priority) constraint holds at every step.
    StudentContact.objects.filter(student=student).update(emergency_priority=None)
    for position, pid in enumerate(person_ids, start=1):
        StudentContact.objects.filter(pk=links[pid].pk).update(emergency_priority=position)
    after = {str(pid): (person_ids.index(pid) + 1 if pid in person_ids else None) for pid in links}
    audit_record(
        actor=actor,
        action="contacts.student_contact.reordered",
        obj=student,
        before=before,
        after=after,
    )


STUDENT_CONFIRMED = "contacts.student.confirmed"


def links_to_confirm(
    students: Iterable[Student] | Iterable[int] | QuerySet[Student],
) -> QuerySet[StudentContact]:
    """The relations a confirmation of these students marks verified: all their contacts but a
    prohibited adult's. `students` may be a queryset, which then stays a subquery."""
    return StudentContact.objects.filter(student__in=students).exclude(
        pickup_status=StudentContact.Pickup.PROHIBITED
    )


def confirmed_audit_after(now: datetime) -> dict[str, str]:
    """What a confirmation's audit entry records as the state after it."""
    return {"verified_at": now.isoformat()}


# No savepoint when called inside another transaction: nothing here is retried on its own, and an
# error rolls the caller back as a whole.
@transaction.atomic(savepoint=False)
def students_confirm(*, actor, students: Iterable[Student]) -> int:
    """A guardian (or staff on their behalf) confirmed that these students' contacts are correct.
    Returns how many relations were marked verified."""
    now = timezone.now()
    ids = [s.pk for s in students]
    count = links_to_confirm(ids).update(verified_at=now)
    after = confirmed_audit_after(now)
    audit_bulk(
        actor=actor,
        action=STUDENT_CONFIRMED,
        label=Student._meta.label_lower,
        rows=[(str(student_id), None, after) for student_id in ids],
    )
    return count


def next_free_priority(student: Student) -> int:
    current = StudentContact.objects.filter(student=student).aggregate(m=Max("emergency_priority"))[
        "m"
    ]
    return (current or 0) + 1
