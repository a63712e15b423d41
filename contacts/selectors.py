"""Read queries, already scoped to what the actor may see.

School staff see their schools' students; district-wide roles (crisis lead, data team, admin)
see every school. Counselors see the students of the cases they are assigned to (reunify adds
those); without a case they see none. An adult is visible when linked to a visible student.
`get_<entity>_for` raises Http404 for anything the actor may not see, so ids cannot be probed.
"""

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from privacy.roles import Role, has_role, is_district_wide, roles_of

from .models import ContactPoint, Person, School, Student, StudentContact


def schools_visible_to(actor) -> QuerySet[School]:
    if is_district_wide(actor):
        return School.objects.all()
    if has_role(actor, Role.SCHOOL_STAFF):
        return School.objects.filter(staff__user=actor).distinct()
    return School.objects.none()


def students_visible_to(actor) -> QuerySet[Student]:
    if is_district_wide(actor):
        return Student.objects.all()
    if has_role(actor, Role.SCHOOL_STAFF):
        return Student.objects.filter(school__staff__user=actor)
    return Student.objects.none()


def students_with_contacts_visible_to(actor) -> QuerySet[Student]:
    links = StudentContact.objects.select_related("person").prefetch_related(
        "person__contact_points"
    )
    return (
        students_visible_to(actor)
        .select_related("school")
        .prefetch_related(Prefetch("contacts", queryset=links))
    )


def people_visible_to(actor) -> QuerySet[Person]:
    if is_district_wide(actor):
        return Person.objects.all()
    if not roles_of(actor):
        return Person.objects.none()
    visible_ids = students_visible_to(actor).values("pk")
    return Person.objects.filter(student_links__student__in=visible_ids).distinct()


def contact_points_visible_to(actor) -> QuerySet[ContactPoint]:
    if is_district_wide(actor):
        return ContactPoint.objects.all()
    return ContactPoint.objects.filter(person__in=people_visible_to(actor).values("pk"))


def student_contacts_visible_to(actor) -> QuerySet[StudentContact]:
    return StudentContact.objects.filter(student__in=students_visible_to(actor).values("pk"))


def _get(queryset: QuerySet, pk):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def get_student_for(actor, pk) -> Student:
    return _get(students_with_contacts_visible_to(actor), pk)


def get_person_for(actor, pk) -> Person:
    return _get(people_visible_to(actor), pk)


def get_contact_point_for(actor, pk) -> ContactPoint:
    return _get(contact_points_visible_to(actor).select_related("person"), pk)


def get_student_contact_for(actor, pk) -> StudentContact:
    return _get(student_contacts_visible_to(actor).select_related("student", "person"), pk)


def family_of(student: Student) -> QuerySet[Student]:
    """The students connected to `student` through a shared legal guardian (siblings in every
    school), `student` included. Derived, never stored."""
    guardian_ids = StudentContact.objects.filter(student=student, legal_guardian=True).values(
        "person_id"
    )
    shared = Q(contacts__person_id__in=guardian_ids, contacts__legal_guardian=True, active=True)
    return Student.objects.filter(shared | Q(pk=student.pk)).distinct()
