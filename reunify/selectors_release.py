"""Reads of the release screen and the school event, scoped to what the actor may see.

For each student: who may take them (allowed), who needs an override (pending review, not
allowed, a standby caregiver without a valid affidavit) and, for prohibited adults, a name to
"do not release to" and nothing else about a custody order. A constant number of queries,
whatever the number of students or adults.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from contacts.lib.phones import normalize_phone
from contacts.models import ContactPoint, Person, StudentContact
from contacts.portal.models import PreparednessPlan
from contacts.selectors import schools_visible_to
from privacy.errors import DomainError

from .models import Accounting, Case, CaseStudent, EventCheckIn, Release, ReleaseCode
from .selectors import case_students_visible_to
from .services.release import AdultStanding, Standing, standing_of

MAX_RESULTS = 50


@dataclass
class AdultOption:
    person_id: int
    name: str
    relationship: str
    standing: AdultStanding
    # The link's relationship code ("standby_caregiver" for a plan's caregiver), for pages that
    # name it in the reader's language.
    relationship_code: str = ""


@dataclass
class ReleaseOptions:
    """What the release screen shows for one student."""

    case_student: CaseStudent
    allowed: list[AdultOption] = field(default_factory=list)
    needs_override: list[AdultOption] = field(default_factory=list)
    # Names only: "do not release to NAME", nothing else about the order.
    do_not_release: list[str] = field(default_factory=list)
    # The same adults for the desk's "turn away" button (recorded, the lead alerted).
    prohibited: list[AdultOption] = field(default_factory=list)
    release: Release | None = None


@dataclass
class StudentStanding:
    case_student: CaseStudent
    standing: AdultStanding


@dataclass
class AdultMatch:
    person: Person
    # Every student of the case linked to the adult or naming them as standby caregiver,
    # siblings together.
    students: list[StudentStanding]


def _words(q) -> list[str]:
    if not isinstance(q, str) or "\x00" in q:
        raise DomainError("q: must be text.", code="invalid", field="q")
    words = q.split()
    if not words or len(q) > 100:
        raise DomainError("q: from 1 to 100 characters.", code="invalid", field="q")
    return words[:5]


def _student_named(q: str) -> Q:
    """Case students by SIS id, or by name: every word must match a first, preferred or last
    name. DomainError for a query that is empty or too long."""
    by_name = Q()
    for word in _words(q):
        by_name &= (
            Q(student__first_name__icontains=word)
            | Q(student__last_name__icontains=word)
            | Q(student__preferred_name__icontains=word)
        )
    return Q(student__sis_id__iexact=q.strip()) | by_name


def case_students_for_release(actor, case: Case) -> QuerySet[CaseStudent]:
    return (
        case_students_visible_to(actor)
        .filter(case=case)
        .select_related("student__school", "counselor", "coming_adult")
    )


def release_students_search(actor, case: Case, q: str) -> list[CaseStudent]:
    """Students of the case the actor may see, by SIS id or by name (every word must match a
    first, preferred or last name)."""
    matches = case_students_for_release(actor, case).filter(_student_named(q))
    return list(matches.order_by("student__last_name", "student__first_name", "pk")[:MAX_RESULTS])


def _standings(case_students: list[CaseStudent], person_ids: set[int]):
    """(case student pk, person id) -> AdultStanding, for every pair where the adult is linked
    to the student or named standby caregiver by one of the student's legal guardians. Three
    queries."""
    student_ids = {cs.student_id for cs in case_students}
    links = StudentContact.objects.filter(student_id__in=student_ids)
    if person_ids is not None:
        links = links.filter(person_id__in=person_ids)
    link_status = {(sc.student_id, sc.person_id): sc for sc in links.select_related("person")}
    guardian_links = list(
        StudentContact.objects.guardianships()
        .filter(student_id__in=student_ids)
        .values_list("person_id", "student_id")
    )
    children_of: dict[int, set[int]] = defaultdict(set)
    for guardian, student in guardian_links:
        children_of[guardian].add(student)
    plans = PreparednessPlan.objects.filter(
        guardian_id__in=list(children_of), standby_caregiver__isnull=False
    ).select_related("standby_caregiver")
    if person_ids is not None:
        plans = plans.filter(standby_caregiver_id__in=person_ids)
    plans_for: dict[tuple[int, int], list[PreparednessPlan]] = defaultdict(list)
    caregivers: dict[int, Person] = {}
    for plan in plans:
        caregivers[plan.standby_caregiver_id] = plan.standby_caregiver
        for student in children_of[plan.guardian_id]:
            plans_for[(student, plan.standby_caregiver_id)].append(plan)
    adults_of: dict[int, set[int]] = defaultdict(set)
    for student, person_id in [*link_status, *plans_for]:
        adults_of[student].add(person_id)
    result = {}
    people: dict[int, tuple[Person, str]] = {}
    for cs in case_students:
        for person_id in adults_of[cs.student_id]:
            link = link_status.get((cs.student_id, person_id))
            standing = standing_of(
                link.pickup_status if link else None, plans_for.get((cs.student_id, person_id), [])
            )
            result[(cs.pk, person_id)] = standing
            if link is not None:
                people[person_id] = (
                    link.person,
                    link.get_relationship_display(),
                    link.relationship,
                )
            else:
                people.setdefault(
                    person_id, (caregivers[person_id], "Standby caregiver", "standby_caregiver")
                )
    return result, people


def release_options(case_students: list[CaseStudent]) -> list[ReleaseOptions]:
    """For each student, who may take them, who needs an override, and whom never to release
    to (names only), and the release if there is one. Four queries for any number of students."""
    standings, people = _standings(case_students, None)
    releases = {
        r.case_student_id: r
        for r in Release.objects.filter(case_student__in=[cs.pk for cs in case_students])
        .select_related("person", "handed_over_by")
        .prefetch_related("corrections")
    }
    out = []
    for cs in case_students:
        options = ReleaseOptions(case_student=cs, release=releases.get(cs.pk))
        for (cs_pk, person_id), standing in sorted(
            standings.items(), key=lambda item: people[item[0][1]][0].display_name
        ):
            if cs_pk != cs.pk:
                continue
            person, relationship, code = people[person_id]
            option = AdultOption(person_id, person.display_name, relationship, standing, code)
            if standing.standing == Standing.PROHIBITED:
                options.do_not_release.append(person.display_name)
                options.prohibited.append(option)
            elif standing.standing == Standing.ALLOWED:
                options.allowed.append(option)
            elif standing.standing == Standing.NEEDS_APPROVAL:
                options.needs_override.append(option)
        out.append(options)
    return out


def release_adults_search(actor, case: Case, q: str) -> list[AdultMatch]:
    """An arriving adult by phone (any way it is written) or by name, among the adults linked
    to students of the case the actor may see (or named standby caregiver for them), each with
    every one of those students and the adult's standing for each. Prohibited adults are found
    too, so the desk sees "do not release"."""
    words = _words(q)
    try:
        phone = normalize_phone(q, field="q") if sum(ch.isdigit() for ch in q) >= 7 else None
    except DomainError:
        phone = None
    case_students = list(case_students_for_release(actor, case))
    student_ids = [cs.student_id for cs in case_students]
    linked = StudentContact.objects.filter(student_id__in=student_ids).values("person_id")
    guardians = StudentContact.objects.guardianships().filter(student_id__in=student_ids)
    standby = PreparednessPlan.objects.filter(guardian_id__in=guardians.values("person_id")).values(
        "standby_caregiver_id"
    )
    people = Person.objects.filter(Q(pk__in=linked) | Q(pk__in=standby))
    if phone:
        people = people.filter(
            contact_points__kind=ContactPoint.Kind.PHONE, contact_points__value=phone
        )
    else:
        for word in words:
            people = people.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    found = list(people.distinct().order_by("last_name", "first_name", "pk")[:MAX_RESULTS])
    if not found:
        return []
    standings, _ = _standings(case_students, {p.pk for p in found})
    by_pk = {cs.pk: cs for cs in case_students}
    matches = []
    for person in found:
        rows = [
            StudentStanding(by_pk[cs_pk], standing)
            for (cs_pk, person_id), standing in standings.items()
            if person_id == person.pk
        ]
        rows.sort(
            key=lambda row: (
                row.case_student.family,
                row.case_student.student.last_name,
                row.case_student.student_id,
            )
        )
        matches.append(AdultMatch(person=person, students=rows))
    return matches


def case_releases(actor, case: Case) -> QuerySet[Release]:
    """The releases of the case the actor may see, in order."""
    return (
        Release.objects.filter(
            case=case, case_student__in=case_students_visible_to(actor).filter(case=case)
        )
        .select_related(
            "case_student__student__school",
            "person",
            "handed_over_by",
            "checked_in_by",
            "identity_verified_by",
            "override__approved_by",
            "identity_approval__approved_by",
            "hold_approval__approved_by",
            "self_release_approval__approved_by",
            "guardian_code__guardian",
        )
        .prefetch_related("corrections")
        .order_by("handed_over_at", "pk")
    )


def checkin_queue(case: Case) -> QuerySet[EventCheckIn]:
    """Who is coming for whom, soonest first; adults whose children have all left drop out."""
    waiting = CaseStudent.objects.filter(case=case).exclude(status__in=CaseStudent.SETTLED)
    students = CaseStudent.objects.select_related("student").order_by("student__last_name")
    return (
        EventCheckIn.objects.filter(case=case, students__in=waiting)
        .distinct()
        .select_related("person")
        .prefetch_related(Prefetch("students", queryset=students))
        .order_by("expected_at", "pk")
    )


def unaccounted(actor, case: Case) -> QuerySet[CaseStudent]:
    """Students still in care nobody has accounted for yet."""
    return (
        case_students_for_release(actor, case)
        .filter(accounted_at__isnull=True)
        .exclude(status__in=CaseStudent.SETTLED)
        .order_by("student__last_name", "student__first_name", "pk")
    )


@dataclass
class DeskStudent:
    """The release screen's page for one student: the options, the legal guardians a code can be
    asked of, and the codes already asked for this student."""

    options: ReleaseOptions
    guardians: list[Person]
    codes: list[ReleaseCode]


def desk_student_for(actor, case: Case, case_student_id: int) -> DeskStudent:
    """One student of the case the actor may see (Http404 otherwise), with what the release
    screen shows for them. A constant number of queries."""
    cs = case_students_for_release(actor, case).filter(pk=case_student_id).first()
    if cs is None:
        raise Http404
    guardians = [
        link.person
        for link in StudentContact.objects.guardianships()
        .filter(student_id=cs.student_id)
        .select_related("person")
        .order_by("person__last_name", "person__first_name", "person_id")
    ]
    codes = list(
        ReleaseCode.objects.filter(case=case, students=cs)
        .select_related("guardian", "person")
        .order_by("-created_at", "-pk")[:10]
    )
    return DeskStudent(release_options([cs])[0], guardians, codes)


def event_students(actor, case: Case, *, unaccounted_only: bool = False, q: str = ""):
    """The students of a school event the actor may see, in name order, each annotated with
    `accounted_status`, the newest accounting entry's status ("" when nobody accounted for them
    yet). Narrowed to the students still unaccounted for, or by words of their name / SIS id."""
    newest = Accounting.objects.filter(case_student=OuterRef("pk")).order_by("-recorded_at", "-pk")
    queryset = (
        case_students_for_release(actor, case)
        .annotate(accounted_status=Coalesce(Subquery(newest.values("status")[:1]), Value("")))
        .order_by("student__last_name", "student__first_name", "pk")
    )
    if unaccounted_only:
        queryset = queryset.filter(accounted_at__isnull=True).exclude(
            status__in=CaseStudent.SETTLED
        )
    if q.strip():
        queryset = queryset.filter(_student_named(q))
    return queryset


@dataclass
class EventCounts:
    total: int
    unaccounted: int
    released: int


def event_counts(actor, case: Case) -> EventCounts:
    """How many students of the event the actor sees, how many are still unaccounted for, how
    many were released. One query."""
    counts = case_students_for_release(actor, case).aggregate(
        total=Count("pk"),
        unaccounted=Count(
            "pk",
            filter=Q(accounted_at__isnull=True) & ~Q(status__in=CaseStudent.SETTLED),
        ),
        released=Count("pk", filter=Q(status=CaseStudent.Status.RELEASED)),
    )
    return EventCounts(**counts)


@dataclass
class EventPreview:
    school: object
    students: int
    guardians: int


def school_event_preview(actor, school_id: int) -> EventPreview:
    """What opening a school event for the school would reach: its active students and their
    custodial guardians (each gets one notice). Writes nothing. DomainError "unknown_school" for
    a school the actor may not see."""
    school = schools_visible_to(actor).filter(pk=school_id).first()
    if school is None:
        raise DomainError(
            f"school: no school with id {school_id}.", code="unknown_school", field="school"
        )
    links = StudentContact.objects.guardianships().filter(student__school=school)
    return EventPreview(
        school=school,
        students=school.students.filter(active=True).count(),
        guardians=links.values("person_id").distinct().count(),
    )
