"""contacts' answers to privacy's questions about schools, students and guardians
(privacy/directory.py; settings.PRIVACY_DIRECTORY names `directory`). privacy refers to
students only by id and never imports contacts; this module is the one place that joins them."""

from django.db.models import Q

from privacy.directory import GuardianAddress, StudentRef
from privacy.roles import Role, has_role, is_district_wide

from .models import ContactPoint, School, Student, StudentContact

SEARCH_LIMIT = 20


def _ref(student: Student) -> StudentRef:
    grade = f" ({student.grade})" if student.grade else ""
    return StudentRef(
        id=student.pk, label=f"{student.display_name}{grade}", school_id=student.school_id
    )


class ContactsDirectory:
    def _school_ids_for(self, user):
        if is_district_wide(user) or has_role(user, Role.LEGAL):
            return School.objects.values("pk")
        # Anyone with a staff role files for the schools they work at, whatever their role.
        return School.objects.filter(staff__user=user).values("pk")

    def schools_for(self, user) -> list[tuple[int, str]]:
        schools = School.objects.filter(pk__in=self._school_ids_for(user)).order_by("name")
        return list(schools.values_list("pk", "name"))

    def school_names(self, school_ids) -> dict[int, str]:
        return dict(School.objects.filter(pk__in=list(school_ids)).values_list("pk", "name"))

    def students_visible(self, user, student_ids) -> list[StudentRef]:
        students = Student.objects.filter(
            pk__in=list(student_ids), school__in=self._school_ids_for(user)
        )
        return [_ref(s) for s in students]

    def students_search(self, user, school_id: int, text: str) -> list[StudentRef]:
        words = text.split()[:4]
        if not words:
            return []
        students = Student.objects.filter(
            school_id=school_id, school__in=self._school_ids_for(user), active=True
        )
        for word in words:
            students = students.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(preferred_name__icontains=word)
                | Q(sis_id=word)
            )
        return [_ref(s) for s in students[:SEARCH_LIMIT]]

    def student_refs(self, student_ids) -> dict[int, StudentRef]:
        return {s.pk: _ref(s) for s in Student.objects.filter(pk__in=list(student_ids))}

    def guardian_addresses(self, student_ids) -> list[GuardianAddress]:
        guardians = StudentContact.objects.guardianships().filter(student_id__in=list(student_ids))
        points = (
            ContactPoint.objects.filter(
                status__in=ContactPoint.REACHABLE_STATUSES,
                person_id__in=guardians.values("person_id"),
            )
            .filter(Q(kind=ContactPoint.Kind.EMAIL) | Q(sms_capable=True))
            .select_related("person")
            .order_by("person_id", "id")
        )
        return [
            GuardianAddress(
                person_id=p.person_id,
                contact_point_id=p.pk,
                channel="email" if p.kind == ContactPoint.Kind.EMAIL else "sms",
                address=p.value,
                language=p.person.preferred_language,
            )
            for p in points
        ]

    def children_of(self, person_id: int) -> list[StudentRef]:
        return [_ref(s) for s in Student.objects.children_of(person_id)]


directory = ContactsDirectory()
