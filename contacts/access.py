"""Who may change contacts: the one place that decides it.

What an actor may *see* is decided by the selectors (`<things>_visible_to`, `get_<thing>_for`,
contacts/selectors.py): anything else is a 404, so ids cannot be probed. What an actor may
*change* is decided here, by a few `can_<action>` checks on objects the actor can see; a visible
object the actor may not change is a 403. The API, the pages and the tasks load what they change
through the `access_<thing>_for_edit` helpers (load with the selector, then check), and every
write service of contacts/services.py checks again with `require_change_*` for a staff actor, so
no caller reaches a write without the check.

Roles come from privacy.roles. A write whose actor is a label string ("portal:person:12",
"import:contacts", "system") is not a staff user's: the portal scopes a guardian to their own
household (contacts/portal/access.py), importers and provider hooks are the district's own
processes. The matrix is in docs/permissions.md.
"""

from django.core.exceptions import PermissionDenied

from privacy.roles import can_edit_contacts, is_district_wide

from . import selectors
from .models import ContactPoint, Person, Student, StudentContact


def is_staff_actor(actor) -> bool:
    """A staff user (checked here), not a label string (a process with its own scoping)."""
    return actor is not None and not isinstance(actor, str)


# --- the checks -----------------------------------------------------------------------------


def can_add_person(actor) -> bool:
    """Add an adult linked to no student (POST /people/). An unlinked adult is visible to
    district-wide roles only, so only a district-wide role that edits contacts may add one;
    school staff add an adult to one of their students (`can_change_student_contacts`)."""
    return can_edit_contacts(actor) and is_district_wide(actor)


def can_change_person(actor, person: Person) -> bool:
    """Change an adult's names and language, add, change or remove their phones and emails."""
    if not can_edit_contacts(actor):
        return False
    if is_district_wide(actor):
        return True
    return selectors.people_visible_to(actor).filter(pk=person.pk).exists()


def can_change_student_contacts(actor, student: Student) -> bool:
    """Link an adult to the student (a new one too), change or remove the student's links."""
    if not can_edit_contacts(actor):
        return False
    if is_district_wide(actor):
        return True
    return selectors.students_visible_to(actor).filter(pk=student.pk).exists()


# --- for services: raise unless allowed -------------------------------------------------------


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def require_add_person(actor) -> None:
    if is_staff_actor(actor):
        _require(can_add_person(actor), "Add an adult through a student's contacts.")


def require_change_person(actor, person: Person) -> None:
    if is_staff_actor(actor):
        _require(can_change_person(actor, person), "Your role cannot change this adult.")


def require_change_student_contacts(actor, student: Student) -> None:
    if is_staff_actor(actor):
        _require(
            can_change_student_contacts(actor, student),
            "Your role cannot change this student's contacts.",
        )


# --- for views: load what the actor sees (404), then check the change (403) -------------------


def access_person_for_edit(actor, pk) -> Person:
    person = selectors.get_person_for(actor, pk)
    require_change_person(actor, person)
    return person


def access_contact_point_for_edit(actor, pk) -> ContactPoint:
    point = selectors.get_contact_point_for(actor, pk)
    require_change_person(actor, point.person)
    return point


def access_student_for_edit(actor, pk) -> Student:
    """The student whose contacts the actor is about to change."""
    student = selectors.get_student_for(actor, pk)
    require_change_student_contacts(actor, student)
    return student


def access_student_contact_for_edit(actor, pk) -> StudentContact:
    link = selectors.get_student_contact_for(actor, pk)
    require_change_student_contacts(actor, link.student)
    return link
