"""Changes a signed-in guardian makes to their family's contacts.

Every write goes through contacts.services (which validate, lock and audit each row), but for
confirm-all by a signed-in guardian on PostgreSQL: one statement built from the same querysets.
These services add the portal's rules on top, in one transaction so nothing is saved half-way:
a guardian changes only the non-guardian contacts of their own children, a new pickup adult
starts as pending review and the other custodial guardians are told, and the last adult allowed
to pick a child up is never dropped without an explicit confirmation.
"""

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from alerts.services import message_queue
from contacts import services as contact_services
from contacts.lib.compiled import CompiledStatement, update_sql
from contacts.lib.phones import normalize_email, normalize_phone
from contacts.models import ContactPoint, Person, Student, StudentContact
from contacts.services import STUDENT_CONFIRMED, confirmed_audit_after
from privacy.errors import Conflict, DomainError
from privacy.models import AuditEntry
from privacy.services import audit_record

from ..lib import keyed_hash
from ..models import MessagePreference, PortalSession
from ..selectors import (
    SESSION_KEY_MARKER,
    active_children_of,
    household_student_ids,
    live_session_row,
    portal_session_get,
    session_from_row,
)
from .signin import PORTAL_ACTOR_PREFIX, REACHABLE, portal_actor

Pickup = StudentContact.Pickup
_AUDIT_AFTER = AuditEntry._meta.get_field("after")


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
    points = [p for p in person.contact_points.all() if p.status in REACHABLE]
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
    students = [link.student for link in links]
    others = (
        Person.objects.filter(
            student_links__student__in=students, student_links__legal_guardian=True
        )
        .exclude(student_links__pickup_status=Pickup.PROHIBITED)
        .exclude(pk=guardian.pk)
        .distinct()
        .prefetch_related("contact_points")
    )
    link_ids = "-".join(str(link.pk) for link in links)
    digest = hashlib.sha256(link_ids.encode()).hexdigest()[:24]
    for other in others:
        point = _reachable_point(other)
        if point is None:
            continue
        names = ", ".join(
            s.display_name
            for s in students
            if StudentContact.objects.filter(student=s, person=other).exists()
        )
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


# "Everything is correct" on PostgreSQL is one statement, assembled once per process
# (contacts/lib/compiled.py); these stand in for its parameters while it is assembled.
_NOW = datetime(1901, 12, 13, 20, 45, 52, 123_457, tzinfo=UTC)
_AFTER = "marker:household_confirm:after"


def _confirm_statement(connection, *, key_hash, now, after) -> tuple[str, list]:
    """Find the live portal session with this key's hash, mark the contacts of its guardian's
    children verified and write one audit entry per child, in one data-modifying WITH statement.
    It returns one row, the session's and guardian's fields (as `live_session_row` reads them)
    followed by (relations verified, entries written); no row, and no change, when the key is no
    live session's.

    Assembled by hand because the ORM cannot make an UPDATE read a CTE or an INSERT read the rows
    an UPDATE returned, and separate statements cost a round trip each and a transaction around
    them (BEGIN, COMMIT): on the benchmark machine every statement is dearer than the rest of the
    request's Python (benchmarks/README.md, "portal"). What is read and who is confirmed are still
    decided by the ORM: the session is Django's compilation of `live_session_row`, the one the
    sign-in check runs, and the UPDATE Django's compilation of
    `links_to_confirm(active_children_of(...))`, the querysets the ORM path and the household page
    use, with the session's guardian in place of an id. Every table and column name is read from
    _meta.

    Its transaction commits asynchronously (`set_config('synchronous_commit', 'off', true)`, which
    lasts only until that commit): the database does not wait for the commit's WAL to reach the
    disk before answering. PostgreSQL's documentation offers this for transactions whose loss in
    a server crash is bearable, and this is one: a crash in the next fraction of a second loses the
    confirmation and its audit entries together, never one without the other, and no contact,
    pickup permission or release changes; the family is asked again by the next campaign. On the
    benchmark machine the flush was a quarter of PostgreSQL's CPU for this statement, and
    confirm-all alone served a fifth more requests without waiting for it. Every other write in
    Reunify, releases above all, commits synchronously.
    """
    quote = connection.ops.quote_name
    session, session_params = (
        live_session_row(key_hash).query.get_compiler(connection=connection).as_sql()
    )
    person = quote(PortalSession._meta.get_field("person").column)
    # The session the statement found (the CTE below), in place of a guardian id.
    guardian = RawSQL(f"SELECT signed_in.{person} FROM signed_in", ())  # noqa: S608, S611
    update, update_params = update_sql(
        contact_services.links_to_confirm(active_children_of(guardian)), connection, verified_at=now
    )
    student = quote(StudentContact._meta.get_field("student").column)
    audit = AuditEntry._meta
    fields = ("at", "actor_label", "action", "object_type", "object_id", "after")
    columns = ", ".join(quote(audit.get_field(name).column) for name in fields)
    as_text = connection.ops.cast_char_field_without_max_length
    # Only names from _meta and Django's compiled SQL are formatted in; every value is bound.
    sql = (
        f"WITH signed_in AS ({session}), "  # noqa: S608
        f"updated AS ({update} RETURNING {student}), "
        f"audited AS (INSERT INTO {quote(audit.db_table)} ({columns}) "
        f"SELECT %s, %s || CAST(signed_in.{person} AS {as_text}), %s, %s, "
        f"CAST(confirmed.{student} AS {as_text}), %s "
        f"FROM (SELECT DISTINCT {student} FROM updated) AS confirmed CROSS JOIN signed_in "
        f"ORDER BY confirmed.{student} RETURNING 1) "
        "SELECT signed_in.*, (SELECT count(*) FROM updated), (SELECT count(*) FROM audited), "
        # This statement's own transaction commits without waiting for its WAL to reach the disk
        # (is_local: nothing after it on the connection is affected). See the docstring.
        "set_config('synchronous_commit', 'off', true) "
        "FROM signed_in"
    )
    audit_params = [now, PORTAL_ACTOR_PREFIX, STUDENT_CONFIRMED, Student._meta.label_lower, after]
    return sql, [*session_params, *update_params, *audit_params]


_CONFIRM = CompiledStatement(
    _confirm_statement, key_hash=SESSION_KEY_MARKER, now=_NOW, after=_AFTER
)


def household_confirm(*, guardian: Person) -> int:
    """ "Everything is correct" for all the guardian's children at once: every contact of each
    active child the guardian is a legal guardian of is marked verified, but a prohibited adult's.
    Returns how many contact relations were marked verified.

    One audit entry per child (`contacts.student.confirmed`, the guardian as actor), written in
    the same transaction as the change: the record of who confirmed which child, and when."""
    # Only the ids: the household page's prefetched contacts are not needed to confirm them.
    students = [Student(pk=pk) for pk in household_student_ids(guardian)]
    return contact_services.students_confirm(actor=portal_actor(guardian), students=students)


def household_confirm_signed_in(key: str | None) -> tuple[PortalSession | None, int]:
    """household_confirm() for the guardian signed in with this portal session key, the button
    the portal's signed-in guardians press most. Returns (the live session with its guardian, or
    None when the key is unknown, expired or revoked and then nothing is written; how many
    relations were marked verified).

    On PostgreSQL the sign-in check, the change and its audit entries are one statement (see
    `_confirm_statement`), atomic on its own and taking only the row locks of its UPDATE, so the
    change is made for exactly the session the database found live. Elsewhere the session is
    looked up first and household_confirm() runs in its own transaction. Raises DatabaseError if
    the database refuses any part, and then nothing is written. On PostgreSQL the commit does not
    wait for the disk (see `_confirm_statement`): a server crash right after it may lose the
    confirmation, as a whole. Call it outside any transaction, as the view does: inside one, the
    setting would last to that transaction's commit and cover its other writes too."""
    if not key:
        return None, 0
    if connection.vendor != "postgresql":
        session = portal_session_get(key)
        if session is None:
            return None, 0
        return session, household_confirm(guardian=session.person)
    now = timezone.now()
    after = _AUDIT_AFTER.get_db_prep_save(confirmed_audit_after(now), connection)
    rows = _CONFIRM.run(key_hash=keyed_hash("session", key), now=now, after=after)
    if not rows:
        return None, 0
    [(*signed_in, verified, _audited, _synchronous_commit)] = rows
    return session_from_row(signed_in), verified


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
    allowed = set(household_student_ids(guardian))
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
    allowed = set(household_student_ids(guardian))
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
def portal_contact_move(*, guardian: Person, link: StudentContact, direction: str) -> None:
    """Move an adult one place up or down in a child's call order ("up" on someone who is not an
    emergency contact yet makes them the last one)."""
    if direction not in ("up", "down"):
        raise DomainError("direction: up or down.", code="invalid_choice", field="direction")
    order = list(
        StudentContact.objects.filter(student_id=link.student_id, emergency_priority__isnull=False)
        .order_by("emergency_priority")
        .values_list("person_id", flat=True)
    )
    if link.person_id not in order:
        order.append(link.person_id)
    else:
        i = order.index(link.person_id)
        j = i - 1 if direction == "up" else i + 1
        if 0 <= j < len(order):
            order[i], order[j] = order[j], order[i]
    contact_services.student_contacts_reorder(
        actor=portal_actor(guardian), student=link.student, person_ids=order
    )
