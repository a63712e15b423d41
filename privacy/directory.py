"""What privacy needs to know about schools, students and guardians, answered by the app that
owns them. privacy never imports contacts: settings.PRIVACY_DIRECTORY names an object with the
methods of `Directory` (contacts/privacy_directory.py provides it), loaded once on first use.
"""

from dataclasses import dataclass
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class StudentRef:
    id: int
    label: str  # the name staff know the student by, with the grade
    school_id: int


@dataclass(frozen=True)
class GuardianAddress:
    """One way to reach a custodial guardian of a student."""

    person_id: int
    contact_point_id: int
    channel: str  # "sms" or "email"
    address: str
    language: str


class Directory(Protocol):
    def schools_for(self, user) -> list[tuple[int, str]]:
        """(id, name) of the schools this staff user may file an agency request for."""

    def school_names(self, school_ids) -> dict[int, str]: ...

    def students_visible(self, user, student_ids) -> list[StudentRef]:
        """The students among `student_ids` this staff user may see."""

    def students_search(self, user, school_id: int, text: str) -> list[StudentRef]:
        """At most 20 students of a school, visible to the user, whose names match `text`."""

    def student_refs(self, student_ids) -> dict[int, StudentRef]:
        """Every one of these students, for the legal office (who decides on them)."""

    def guardian_addresses(self, student_ids) -> list[GuardianAddress]:
        """The reachable phones (SMS) and emails of these students' custodial guardians."""

    def children_of(self, person_id: int) -> list[StudentRef]:
        """The active students this person is a custodial guardian of."""


@cache
def directory() -> Directory:
    return import_string(settings.PRIVACY_DIRECTORY)
