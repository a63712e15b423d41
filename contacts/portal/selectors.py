"""What a signed-in guardian may see, and what a staff member sees in the review queue.

A guardian sees their children, as `Student.objects.children_of` defines them (the active
students they are a custodial legal guardian of, siblings in every school), and each child's
contacts in call order. An adult whose pickup is prohibited is never shown in the portal, to
anyone. `get_<entity>_for` and `household_child_of` raise Http404 for anything else.
"""

from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import timezone

from contacts.models import ContactPoint, Person, Student, StudentContact
from contacts.selectors import students_visible_to
from privacy.roles import can_edit_contacts

from .lib import keyed_hash
from .models import MessagePreference, PortalSession, PreparednessPlan

PROHIBITED = StudentContact.Pickup.PROHIBITED


def portal_session_get(key: str | None) -> PortalSession | None:
    """The live session for a browser's key, with its person; None when unknown, expired or
    revoked."""
    if not key:
        return None
    try:
        return PortalSession.objects.select_related("person").get(
            key_hash=keyed_hash("session", key),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
    except PortalSession.DoesNotExist:
        return None


CHILD_ORDER = ("last_name", "first_name", "id")

# What a child's card shows (portal/_student.html), read and nothing more.
HOUSEHOLD_FIELDS = (
    "relationship",
    "legal_guardian",
    "emergency_priority",
    "pickup_status",
    "student__first_name",
    "student__preferred_name",
    "student__last_name",
    "student__grade",
    "student__school__name",
    "person__first_name",
    "person__last_name",
)


def children_of(guardian: Person) -> QuerySet[Student]:
    """The guardian's children (siblings in every school), by name, with their school."""
    return Student.objects.children_of(guardian.pk).select_related("school").order_by(*CHILD_ORDER)


def children_ids_of(guardian: Person) -> list[int]:
    """The ids of the guardian's children (`children_of`), in id order."""
    ids = StudentContact.objects.children_ids_of(guardian.pk).order_by("student_id")
    return list(ids.values_list("student_id", flat=True))


def household_of(guardian: Person, *, child=None) -> list[Student]:
    """What the household page shows: the guardian's children by name (`children_of`), each
    with `shown_contacts`: its contacts in call order (emergency contacts first, by priority),
    prohibited adults left out, each with its person and that person's `phones` (the numbers, in
    the order they were added). With `child`, only that one.

    Two queries however many children and contacts: the children's shown contacts, each with
    its child, the child's school and the adult; and those adults' phones. Every child appears,
    because the guardian's own link to the child is one of its shown contacts (a custodial
    guardianship is never a prohibited pickup)."""
    of_children = StudentContact.objects.filter(
        student__in=StudentContact.objects.children_ids_of(guardian.pk)
    )
    if child is not None:
        of_children = of_children.filter(student_id=child)
    links = list(
        of_children.exclude(pickup_status=PROHIBITED)
        .select_related("student__school", "person")
        .only(*HOUSEHOLD_FIELDS)
        .order_by(
            *(f"student__{field}" for field in CHILD_ORDER),
            F("emergency_priority").asc(nulls_last=True),
            "id",
        )
    )
    if not links:
        return []
    phones: dict[int, list[str]] = {}
    for person_id, value in (
        ContactPoint.objects.filter(
            kind=ContactPoint.Kind.PHONE, person_id__in={link.person_id for link in links}
        )
        .order_by("id")
        .values_list("person_id", "value")
    ):
        phones.setdefault(person_id, []).append(value)
    household: dict[int, Student] = {}
    for link in links:
        link.person.phones = phones.get(link.person_id, [])
        student = household.setdefault(link.student_id, link.student)
        if student is link.student:
            student.shown_contacts = []
        student.shown_contacts.append(link)
    return list(household.values())


def household_child_of(guardian: Person, pk) -> Student:
    """One child's card on the household page (htmx swaps it in after a change)."""
    try:
        (student,) = household_of(guardian, child=int(pk))
    except (ValueError, TypeError) as exc:
        raise Http404 from exc
    return student


def get_link_for(guardian: Person, pk) -> StudentContact:
    """A contact relation of one of the guardian's children that the portal may change: not a
    legal guardian's (custody is the school's record) and never a prohibited adult's."""
    try:
        return (
            StudentContact.objects.filter(
                student__in=Student.objects.children_of(guardian.pk).values("pk"),
                legal_guardian=False,
            )
            .exclude(pickup_status=PROHIBITED)
            .select_related("student", "person")
            .get(pk=pk)
        )
    except (StudentContact.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def get_own_contact_point_for(guardian: Person, pk) -> ContactPoint:
    try:
        return ContactPoint.objects.select_related("person").get(pk=pk, person=guardian)
    except (ContactPoint.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def own_contact_points(guardian: Person) -> QuerySet[ContactPoint]:
    return ContactPoint.objects.filter(person=guardian).order_by("kind", "id")


def preference_of(guardian: Person) -> MessagePreference:
    """The saved preference, or the default (unsaved) one."""
    return MessagePreference.objects.filter(person=guardian).first() or MessagePreference(
        person=guardian
    )


def plan_of(guardian: Person) -> PreparednessPlan:
    return PreparednessPlan.objects.filter(guardian=guardian).select_related(
        "standby_caregiver"
    ).first() or PreparednessPlan(guardian=guardian)


def pending_pickups_visible_to(actor) -> QuerySet[StudentContact]:
    """The review queue: pickup adults added in the portal awaiting a decision, in the schools
    the staff member may edit contacts for."""
    if not can_edit_contacts(actor):
        return StudentContact.objects.none()
    return (
        StudentContact.objects.filter(
            pickup_status=StudentContact.Pickup.PENDING,
            student__in=students_visible_to(actor).values("pk"),
        )
        .select_related("student", "student__school", "person")
        .prefetch_related("person__contact_points")
        .order_by("updated_at", "id")
    )


def get_pending_pickup_for(actor, pk) -> StudentContact:
    try:
        return pending_pickups_visible_to(actor).get(pk=pk)
    except (StudentContact.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
