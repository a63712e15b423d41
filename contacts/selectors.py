"""Read queries, already scoped to what the actor may see.

School staff see their schools' students; district-wide roles (crisis lead, data team, admin)
see every school. Other apps widen what a role sees without editing this module: reunify
registers a scope that lets a counselor see the students of the open cases they are assigned to
(`register_student_scope`); without one a counselor sees none. Everything else follows the
students: an adult is visible when linked to a visible student, and so are their phones and
emails; a student-contact link when its student is visible (district-wide roles also see the
adults linked to no student). So a scope widens all four at once. `get_<entity>_for` raises
Http404 for anything the actor may not see, so ids cannot be probed. Who may *change* what an
actor sees is contacts/access.py's to say; docs/permissions.md has the matrix.
"""

from collections.abc import Callable

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


# A scope takes the actor and returns a queryset of the ids of the extra students that actor may
# see (e.g. `CaseStudent.objects.filter(...).values("student_id")`), or None for none.
StudentScope = Callable[[object], QuerySet | None]
_student_scopes: list[StudentScope] = []


def register_student_scope(scope: StudentScope) -> None:
    """Let another app widen the students an actor sees (call it in AppConfig.ready())."""
    if scope not in _student_scopes:
        _student_scopes.append(scope)


def students_visible_to(actor) -> QuerySet[Student]:
    if is_district_wide(actor):
        return Student.objects.all()
    if not roles_of(actor):
        return Student.objects.none()
    visible = Q(pk__in=[])
    if has_role(actor, Role.SCHOOL_STAFF):
        visible |= Q(school__in=School.objects.filter(staff__user=actor).values("pk"))
    for scope in _student_scopes:
        ids = scope(actor)
        if ids is not None:
            visible |= Q(pk__in=ids)
    return Student.objects.filter(visible)


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


def children_of(person_id: int) -> QuerySet:
    """The ids of a guardian's children (models: `Student.objects.children_of`), as a subquery;
    callers narrow a scoped queryset with it, so it shows only what the actor may see."""
    return Student.objects.children_of(person_id).values("pk")


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
    """The active students connected to `student` through a shared custodial legal guardian
    (siblings in every school), `student` included. Derived, never stored."""
    guardians = Person.objects.guardians_of(student.pk).values("pk")
    return Student.objects.filter(
        Q(pk__in=Student.objects.children_of(guardians).values("pk")) | Q(pk=student.pk)
    )
