"""What a signed-in guardian may see, and what a staff member sees in the review queue.

A guardian sees the active students they are a legal guardian of (siblings in every school),
and each student's contacts in priority order. An adult whose pickup is prohibited is never
shown in the portal, to anyone. `get_<entity>_for` raises Http404 for anything else.
"""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from contacts.models import ContactPoint, Person, Student, StudentContact
from contacts.selectors import students_visible_to
from privacy.roles import can_edit_contacts

from .models import MessagePreference, PreparednessPlan

PROHIBITED = StudentContact.Pickup.PROHIBITED


def household_students(guardian: Person) -> QuerySet[Student]:
    """The guardian's children, each with `contacts` prefetched (prohibited adults left out)."""
    visible_links = (
        StudentContact.objects.exclude(pickup_status=PROHIBITED)
        .select_related("person")
        .prefetch_related("person__contact_points")
    )
    return (
        Student.objects.filter(
            active=True,
            pk__in=StudentContact.objects.filter(person=guardian, legal_guardian=True)
            .exclude(pickup_status=PROHIBITED)
            .values("student_id"),
        )
        .select_related("school")
        .prefetch_related(Prefetch("contacts", queryset=visible_links))
        .order_by("last_name", "first_name", "id")
    )


def household_student_ids(guardian: Person) -> list[int]:
    return list(household_students(guardian).values_list("pk", flat=True))


def get_student_for(guardian: Person, pk) -> Student:
    try:
        return household_students(guardian).get(pk=pk)
    except (Student.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


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
