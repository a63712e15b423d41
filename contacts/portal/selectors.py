"""What a signed-in guardian may see, and what a staff member sees in the review queue.

A guardian sees the active students they are a legal guardian of (siblings in every school),
and each student's contacts in priority order. An adult whose pickup is prohibited is never
shown in the portal, to anyone. `get_<entity>_for` and `household_child_of` raise Http404 for
anything else.
"""

from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter

from django.db.models import F, FilteredRelation, Prefetch, Q, QuerySet
from django.http import Http404

from contacts.lib.compiled import CompiledQuery
from contacts.models import ContactPoint, Person, Student, StudentContact
from contacts.selectors import students_visible_to
from privacy.roles import can_edit_contacts

from .models import MessagePreference, PreparednessPlan

PROHIBITED = StudentContact.Pickup.PROHIBITED


def _children_of(guardian_id: int) -> QuerySet:
    """The ids of the students this person is a legal guardian of (not barred from them)."""
    return (
        StudentContact.objects.filter(person_id=guardian_id, legal_guardian=True)
        .exclude(pickup_status=PROHIBITED)
        .values("student_id")
    )


def household_students(guardian: Person) -> QuerySet[Student]:
    """The guardian's children, each with `contacts` prefetched (prohibited adults left out)."""
    visible_links = (
        StudentContact.objects.exclude(pickup_status=PROHIBITED)
        .select_related("person")
        .prefetch_related("person__contact_points")
    )
    return (
        Student.objects.filter(active=True, pk__in=_children_of(guardian.pk))
        .select_related("school")
        .prefetch_related(Prefetch("contacts", queryset=visible_links))
        .order_by("last_name", "first_name", "id")
    )


@dataclass(frozen=True)
class HouseholdContact:
    link_id: int
    person_id: int
    name: str
    relationship: str
    legal_guardian: bool
    emergency_priority: int | None
    pickup_status: str
    phones: tuple[str, ...]


@dataclass(frozen=True)
class HouseholdChild:
    pk: int
    display_name: str
    school_name: str
    grade: str
    contacts: tuple[HouseholdContact, ...]


def _household_links(guardian_id: int) -> QuerySet:
    """One row per contact of each child and phone of that contact (a contact without a phone
    gives one row with None), children by name, contacts in call order."""
    return (
        StudentContact.objects.filter(student__in=_children_of(guardian_id), student__active=True)
        .exclude(pickup_status=PROHIBITED)
        .annotate(
            phone=FilteredRelation(
                "person__contact_points",
                condition=Q(person__contact_points__kind=ContactPoint.Kind.PHONE),
            )
        )
        .order_by(
            "student__last_name",
            "student__first_name",
            "student_id",
            F("emergency_priority").asc(nulls_last=True),
            "id",
            "phone__id",
        )
        .values_list(
            "student_id",
            "student__first_name",
            "student__preferred_name",
            "student__last_name",
            "student__grade",
            "student__school__name",
            "id",
            "person_id",
            "person__first_name",
            "person__last_name",
            "relationship",
            "legal_guardian",
            "emergency_priority",
            "pickup_status",
            "phone__value",
        )
    )


# The busiest pages' queries, compiled once per process (contacts/lib/compiled.py).
_GUARDIAN = -7_340_917_263  # stands in for the guardian's id while compiling
_HOUSEHOLD_IDS = CompiledQuery(
    lambda guardian_id: (
        Student.objects.filter(active=True, pk__in=_children_of(guardian_id))
        .order_by("last_name", "first_name", "id")
        .values_list("pk")
    ),
    guardian_id=_GUARDIAN,
)
_HOUSEHOLD_LINKS = CompiledQuery(_household_links, guardian_id=_GUARDIAN)


def household_of(guardian: Person) -> tuple[HouseholdChild, ...]:
    """What the household page shows, as plain values, in one query: the guardian's children
    (siblings in every school) with their contacts in call order and those adults' phones.

    Plain frozen values, so the page can be cached under a digest of exactly what it shows."""
    rows = _HOUSEHOLD_LINKS.rows(guardian_id=guardian.pk)

    def contact(link_rows: list[tuple]) -> HouseholdContact:
        link_id, person_id, first, last, relationship, legal, priority, pickup = link_rows[0][6:14]
        return HouseholdContact(
            link_id=link_id,
            person_id=person_id,
            name=f"{first} {last}",
            relationship=relationship,
            legal_guardian=legal,
            emergency_priority=priority,
            pickup_status=pickup,
            phones=tuple(row[14] for row in link_rows if row[14] is not None),
        )

    children = []
    for student_id, student_rows in groupby(rows, key=itemgetter(0)):
        student_rows = list(student_rows)
        first, preferred, last, grade, school = student_rows[0][1:6]
        links = groupby(student_rows, key=itemgetter(6))
        children.append(
            HouseholdChild(
                pk=student_id,
                display_name=f"{preferred or first} {last}",
                school_name=school,
                grade=grade,
                contacts=tuple(contact(list(link_rows)) for _, link_rows in links),
            )
        )
    return tuple(children)


def household_child_of(guardian: Person, pk) -> HouseholdChild:
    """One child's card on the household page (htmx swaps it in after a change)."""
    for child in household_of(guardian):
        if str(child.pk) == str(pk):
            return child
    raise Http404


def household_student_ids(guardian: Person) -> list[int]:
    return [pk for (pk,) in _HOUSEHOLD_IDS.rows(guardian_id=guardian.pk)]


def get_link_for(guardian: Person, pk) -> StudentContact:
    """A contact relation of one of the guardian's children that the portal may change: not a
    legal guardian's (custody is the school's record) and never a prohibited adult's."""
    try:
        return (
            StudentContact.objects.filter(
                student_id__in=household_student_ids(guardian), legal_guardian=False
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
