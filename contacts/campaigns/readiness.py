"""The readiness report: per school, how current the contacts are and which children would have
nobody if their parents were taken at once. Reads only; every query starts from the students the
actor may see (contacts.selectors.students_visible_to).

Definitions:
- verified: a contact of the student was confirmed (verified_at) in the last N days;
- invalid: contact points of the student's adults known invalid or opted out (counted once per
  contact point per school; the list shows the students who have one);
- one household: every adult linked to the student lives with them;
- no backup: no adult who is not a legal guardian is allowed to pick the student up and has a
  reachable phone or email.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from contacts.models import ContactPoint, School, Student, StudentContact
from contacts.selectors import students_visible_to

from . import conf

MEASURES = ("unverified", "invalid", "one_household", "no_backup")
BAD = (ContactPoint.Status.INVALID, ContactPoint.Status.OPTED_OUT)


def _flags(days: int) -> dict:
    cutoff = timezone.now() - timedelta(days=days)
    links = StudentContact.objects.filter(student=OuterRef("pk"))
    backup = links.filter(
        legal_guardian=False,
        pickup_status=StudentContact.Pickup.ALLOWED,
    ).filter(
        Exists(
            ContactPoint.objects.filter(
                person=OuterRef("person"), status__in=ContactPoint.REACHABLE_STATUSES
            )
        )
    )
    return {
        "verified": Exists(links.filter(verified_at__gte=cutoff)),
        "has_bad_point": Exists(
            links.filter(
                Exists(ContactPoint.objects.filter(person=OuterRef("person"), status__in=BAD))
            )
        ),
        "has_adult": Exists(links),
        "has_outside_adult": Exists(links.filter(lives_with=False)),
        "has_backup": Exists(backup),
    }


def _students(actor, days: int) -> QuerySet[Student]:
    return students_visible_to(actor).filter(active=True).annotate(**_flags(days))


def measure_filter(measure: str) -> Q:
    return {
        "unverified": Q(verified=False),
        "invalid": Q(has_bad_point=True),
        "one_household": Q(has_adult=True, has_outside_adult=False),
        "no_backup": Q(has_backup=False),
    }[measure]


@dataclass
class ReadinessRow:
    school: School | None
    students: int
    verified: int
    invalid_points: int
    one_household: int
    no_backup: int

    @property
    def verified_percent(self) -> int:
        return round(self.verified * 100 / self.students) if self.students else 0

    @property
    def no_backup_percent(self) -> int:
        return round(self.no_backup * 100 / self.students) if self.students else 0


@dataclass
class Report:
    days: int
    schools: list[ReadinessRow]
    total: ReadinessRow


def readiness_report(actor, *, days: int | None = None) -> Report:
    """Per school and in total, for the students the actor may see. Three aggregate queries."""
    days = days or conf.readiness_days()
    counts = {
        "students": Count("pk"),
        "verified": Count("pk", filter=Q(verified=True)),
        "one_household": Count("pk", filter=measure_filter("one_household")),
        "no_backup": Count("pk", filter=measure_filter("no_backup")),
    }
    students = _students(actor, days)
    rows = list(students.values("school_id").annotate(**counts).order_by())
    visible = students_visible_to(actor).filter(active=True).values("pk")
    points = (
        StudentContact.objects.filter(student__in=visible, person__contact_points__status__in=BAD)
        .values("student__school_id")
        .annotate(n=Count("person__contact_points", distinct=True))
        .order_by()
    )
    bad = {row["student__school_id"]: row["n"] for row in points}
    bad_total = (
        ContactPoint.objects.filter(status__in=BAD, person__student_links__student__in=visible)
        .distinct()
        .count()
    )
    schools = School.objects.in_bulk([row["school_id"] for row in rows])
    per_school = sorted(
        (
            ReadinessRow(
                school=schools[row["school_id"]],
                students=row["students"],
                verified=row["verified"],
                invalid_points=bad.get(row["school_id"], 0),
                one_household=row["one_household"],
                no_backup=row["no_backup"],
            )
            for row in rows
        ),
        key=lambda r: r.school.name,
    )
    total = ReadinessRow(
        school=None,
        students=sum(r.students for r in per_school),
        verified=sum(r.verified for r in per_school),
        invalid_points=bad_total,
        one_household=sum(r.one_household for r in per_school),
        no_backup=sum(r.no_backup for r in per_school),
    )
    return Report(days=days, schools=per_school, total=total)


def readiness_students(
    actor, *, measure: str, school_id: int | None = None, days: int | None = None
) -> QuerySet[Student]:
    """The students behind one number of the report, with their school, ordered by school and
    name."""
    students = _students(actor, days or conf.readiness_days()).filter(measure_filter(measure))
    if school_id is not None:
        students = students.filter(school_id=school_id)
    return students.select_related("school").order_by(
        "school__name", "last_name", "first_name", "pk"
    )


@dataclass
class Bar:
    label: str
    y: int
    verified_width: float
    no_backup_width: float
    verified_percent: int
    no_backup_percent: int


def chart_bars(report: Report, *, width: int = 300, row: int = 28) -> list[Bar]:
    """Geometry of the server-rendered SVG chart: per school, the share verified and the share
    with no backup adult, as bar widths out of `width`."""
    return [
        Bar(
            label=r.school.name,
            y=i * row,
            verified_width=width * r.verified_percent / 100,
            no_backup_width=width * r.no_backup_percent / 100,
            verified_percent=r.verified_percent,
            no_backup_percent=r.no_backup_percent,
        )
        for i, r in enumerate(report.schools)
    ]
