"""Read queries, scoped to what the actor may see.

The crisis lead (and the other district-wide roles) sees every case; school staff see the cases
of their schools' students; a counselor sees the cases they are assigned to while the case is
open and for 7 days after it closes (the follow-up); anyone else sees nothing. `get_<thing>_for`
raises Http404 for what the actor may not see, so ids cannot be probed.
"""

import contextlib
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from alerts.models import Message
from contacts.lib.phones import normalize_phone
from contacts.models import ContactPoint, Person, School, StudentContact
from contacts.portal.models import PreparednessPlan
from contacts.portal.services import affidavit_is_stale
from contacts.selectors import people_visible_to
from privacy.errors import DomainError
from privacy.roles import Role, has_role

from .access import is_lead
from .models import (
    COUNSELOR_VISIBILITY_AFTER_CLOSE_DAYS,
    Case,
    CaseStudent,
    Outreach,
    SupportResource,
    Task,
    TimelineEntry,
)


def _counselor_window() -> Q:
    """Cases still visible to their counselors: open, or closed in the last 7 days."""
    since = timezone.now() - timedelta(days=COUNSELOR_VISIBILITY_AFTER_CLOSE_DAYS)
    return Q(case__status=Case.Status.OPEN) | Q(case__closed_at__gte=since)


def counselor_case_students(actor) -> QuerySet[CaseStudent]:
    """The case students a counselor is assigned to, within the visibility window."""
    return CaseStudent.objects.filter(_counselor_window(), counselor=actor)


def counselor_student_scope(actor) -> QuerySet | None:
    """The contacts scope reunify registers: a counselor sees the students of their cases."""
    if not has_role(actor, Role.COUNSELOR):
        return None
    return counselor_case_students(actor).values("student_id")


def case_students_visible_to(actor) -> QuerySet[CaseStudent]:
    if is_lead(actor):
        return CaseStudent.objects.all()
    visible = Q(pk__in=[])
    if has_role(actor, Role.SCHOOL_STAFF):
        schools = School.objects.filter(staff__user=actor).values("pk")
        visible |= Q(student__school__in=schools)
    if has_role(actor, Role.COUNSELOR):
        visible |= Q(pk__in=counselor_case_students(actor).values("pk"))
    return CaseStudent.objects.filter(visible)


def cases_visible_to(actor) -> QuerySet[Case]:
    if is_lead(actor):
        return Case.objects.all()
    if not has_role(actor, Role.SCHOOL_STAFF, Role.COUNSELOR):
        return Case.objects.none()
    return Case.objects.filter(pk__in=case_students_visible_to(actor).values("case_id"))


def tasks_visible_to(actor) -> QuerySet[Task]:
    """Tasks of visible case students, and every task assigned to the actor."""
    if is_lead(actor):
        return Task.objects.all()
    if not has_role(actor, Role.SCHOOL_STAFF, Role.COUNSELOR):
        return Task.objects.none()
    return Task.objects.filter(
        Q(case_student__in=case_students_visible_to(actor).values("pk")) | Q(assignee=actor)
    )


def tasks_assigned_to(actor, *, active_only: bool = True) -> QuerySet[Task]:
    """The actor's own task list, most urgent first, with what a list row shows."""
    tasks = tasks_visible_to(actor).filter(assignee=actor)
    if active_only:
        tasks = tasks.filter(status__in=Task.ACTIVE)
    return tasks.select_related("case", "case_student__student__school", "assignee").order_by(
        "priority", "due_at", "id"
    )


def case_detail_queryset(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """What a case page or the API's case shows: its students with school and counselor."""
    students = CaseStudent.objects.select_related("student__school", "counselor").order_by(
        "family", "student__last_name", "student__first_name", "id"
    )
    return queryset.select_related("opened_by", "closed_by", "school").prefetch_related(
        Prefetch("students", queryset=students),
        Prefetch("guardians__person"),
    )


def cases_with_counts(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """Each case with its number of students and of students settled (dashboard counts)."""
    return queryset.annotate(
        student_count=Count("students", distinct=True),
        settled_count=Count(
            "students", filter=Q(students__status__in=CaseStudent.SETTLED), distinct=True
        ),
    )


def case_timeline(case: Case) -> QuerySet[TimelineEntry]:
    return case.timeline.select_related("actor", "case_student__student").order_by("at", "id")


def case_outreach(case: Case) -> QuerySet[Outreach]:
    return (
        case.outreach.select_related("person")
        .prefetch_related("students__student")
        .order_by("family", "order")
    )


def _get(queryset: QuerySet, pk):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc


def get_case_for(actor, pk) -> Case:
    """A case the actor may see, with its students and guardians (the case page, the API's case)."""
    return _get(case_detail_queryset(cases_visible_to(actor)), pk)


def get_case_ref_for(actor, pk) -> Case:
    """A case the actor may see, without its students: for what acts on one student of it or
    lists something else (a release, the desk), where a school event's thousands of students
    would otherwise be read at every request."""
    return _get(cases_visible_to(actor).select_related("opened_by", "closed_by", "school"), pk)


def get_case_student_for(actor, pk) -> CaseStudent:
    queryset = case_students_visible_to(actor).select_related(
        "case", "student__school", "counselor", "coming_adult"
    )
    return _get(queryset, pk)


def get_task_for(actor, pk) -> Task:
    queryset = tasks_visible_to(actor).select_related(
        "case", "case_student__student__school", "assignee", "completed_by"
    )
    return _get(queryset, pk)


# --- the staff pages ---------------------------------------------------------------------------

SEARCH_LIMIT = 20
TIMELINE_ON_DASHBOARD = 8
ALERTS_ON_DASHBOARD = 5


def adults_search(actor, query: str, *, limit: int = SEARCH_LIMIT) -> list[Person]:
    """Adults the actor may see whose name contains every word of `query`, or who have the phone
    number (in any format the district reads) or the email address `query`. Each comes with
    their guardianships and those students' schools, so the open-a-case page can say whose
    guardian they are. Fewer than two characters find nobody."""
    text = " ".join((query or "").split())
    if len(text) < 2:
        return []
    match = Q()
    for word in text.split(" ")[:4]:
        match &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    # Not a phone number is fine: the query is then a name or an email address.
    with contextlib.suppress(DomainError):
        match |= Q(
            contact_points__kind=ContactPoint.Kind.PHONE,
            contact_points__value=normalize_phone(text),
        )
    if "@" in text:
        match |= Q(contact_points__kind=ContactPoint.Kind.EMAIL, contact_points__value=text.lower())
    children = (
        StudentContact.objects.guardianships()
        .select_related("student__school")
        .order_by("student__last_name", "student__first_name")
    )
    ids = list(
        people_visible_to(actor).filter(match).values_list("pk", flat=True).distinct()[:limit]
    )
    return list(
        Person.objects.filter(pk__in=ids)
        .prefetch_related(Prefetch("student_links", queryset=children, to_attr="guardianships"))
        .order_by("last_name", "first_name", "pk")
    )


@dataclass
class StatusCount:
    status: str
    label: str
    count: int


def _status_counts(case_students) -> list[StatusCount]:
    counts = {status: 0 for status in CaseStudent.Status.values}
    for cs in case_students:
        counts[cs.status] += 1
    return [StatusCount(s, CaseStudent.Status(s).label, n) for s, n in counts.items() if n]


def dashboard_cases(actor, *, now=None) -> list[Case]:
    """The open cases the actor may see, each with `shown_students` (the students the actor may
    see, with school, counselor and `overdue` active tasks), `status_counts`, `recent` (the
    newest timeline entries about those students or the whole case) and `alerts` (the newest
    attempts to release a student to a do-not-release adult). A fixed number of queries,
    however many cases, students and entries."""
    now = now or timezone.now()
    visible = case_students_visible_to(actor)
    overdue = Task.objects.filter(status__in=Task.ACTIVE, due_at__lt=now).order_by("due_at", "id")
    students = (
        CaseStudent.objects.filter(pk__in=visible.values("pk"))
        .select_related("student__school", "counselor")
        .prefetch_related(Prefetch("tasks", queryset=overdue, to_attr="overdue"))
        .order_by("family", "student__last_name", "student__first_name", "id")
    )
    if is_lead(actor):
        entries = TimelineEntry.objects.all()
    else:
        entries = TimelineEntry.objects.filter(
            Q(case_student__isnull=True) | Q(case_student__in=visible.values("pk"))
        )
    entries = entries.select_related("case_student__student").order_by("-at", "-id")
    alerts = entries.filter(action="release.prohibited_attempt")
    cases = list(
        cases_visible_to(actor)
        .open()
        .select_related("school")
        .order_by("-opened_at", "-id")
        .prefetch_related(
            Prefetch("students", queryset=students, to_attr="shown_students"),
            Prefetch("timeline", queryset=entries[:TIMELINE_ON_DASHBOARD], to_attr="recent"),
            Prefetch("timeline", queryset=alerts[:ALERTS_ON_DASHBOARD], to_attr="alerts"),
        )
    )
    for case in cases:
        case.status_counts = _status_counts(case.shown_students)
        case.unsettled_count = sum(1 for cs in case.shown_students if not cs.settled)
        case.unaccounted_count = sum(
            1 for cs in case.shown_students if not cs.settled and cs.accounted_at is None
        )
        case.overdue_count = sum(len(cs.overdue) for cs in case.shown_students)
    return cases


@dataclass
class PlanView:
    """An unavailable guardian's preparedness plan as a student's card shows it."""

    guardian: Person
    standby_caregiver: Person | None
    affidavit_on_file: bool
    affidavit_signed_on: object
    affidavit_expired: bool


@dataclass
class Attempt:
    outreach: Outreach
    messages: list


@dataclass
class StudentCard:
    case_student: CaseStudent
    case: Case
    authorized: list[StudentContact]
    needs_override: list[StudentContact]
    do_not_release: list[str]
    unavailable: list[Person]
    plans: list[PlanView]
    attempts: list[Attempt]
    timeline: list[TimelineEntry]
    tasks: list[Task]
    resources: list[SupportResource] = field(default_factory=list)

    @property
    def support_task(self) -> Task | None:
        return next((t for t in self.tasks if t.kind == Task.Kind.SUPPORT and t.active), None)

    @property
    def call_adults(self) -> list[Person]:
        """The pickup adults a staff member may log a phone call to."""
        return [a.outreach.person for a in self.attempts]


def _links_of(student_ids) -> QuerySet[StudentContact]:
    points = ContactPoint.objects.order_by("kind", "id")
    return (
        StudentContact.objects.filter(student_id__in=student_ids)
        .select_related("person")
        .prefetch_related(Prefetch("person__contact_points", queryset=points))
    )


def _split_links(links, unavailable_ids: set[int]):
    """(authorized, needs an override, names never to release to) among a student's adults;
    the unavailable guardians are left out of the first two."""
    authorized, override, prohibited = [], [], []
    for link in links:
        if link.pickup_status == StudentContact.Pickup.PROHIBITED:
            prohibited.append(link.person.display_name)
        elif link.person_id in unavailable_ids:
            continue
        elif link.pickup_status == StudentContact.Pickup.ALLOWED:
            authorized.append(link)
        elif link.pickup_status == StudentContact.Pickup.PENDING:
            override.append(link)
    return authorized, override, prohibited


def preparedness_plans_of(guardians: list[Person], *, today=None) -> list[PlanView]:
    """The preparedness plans of these (unavailable) guardians: the standby caregiver, whether a
    caregiver's authorization affidavit is on file and whether it has expired (after
    PORTAL_AFFIDAVIT_MAX_AGE_DAYS, default one year)."""
    by_pk = {p.pk: p for p in guardians}
    plans = PreparednessPlan.objects.filter(guardian_id__in=by_pk).select_related(
        "standby_caregiver"
    )
    return [
        PlanView(
            guardian=by_pk[plan.guardian_id],
            standby_caregiver=plan.standby_caregiver,
            affidavit_on_file=plan.affidavit_on_file,
            affidavit_signed_on=plan.affidavit_signed_on,
            affidavit_expired=affidavit_is_stale(plan, today),
        )
        for plan in plans.order_by("guardian_id")
    ]


def student_card(actor, case_student_id) -> StudentCard:
    """Everything a student's card shows, for a student the actor may see (Http404 otherwise):
    the adults who may take them (with their phones and emails), who needs an override, the
    names never to release to (nothing else about them), the unavailable guardians' preparedness
    plans, every outreach attempt with its messages, the student's timeline and tasks, and the
    district's support resources."""
    cs = get_case_student_for(actor, case_student_id)
    case = cs.case
    unavailable = [g.person for g in case.guardians.select_related("person").order_by("id")]
    authorized, override, prohibited = _split_links(
        _links_of([cs.student_id]), {p.pk for p in unavailable}
    )
    outreach = list(
        Outreach.objects.filter(case=case, students=cs).select_related("person").order_by("order")
    )
    message_ids = {pk for row in outreach for pk in row.message_ids}
    sent = {m.pk: m for m in Message.objects.filter(pk__in=message_ids)} if message_ids else {}
    guardian_ids = set(Person.objects.guardians_of(cs.student_id).values_list("pk", flat=True))
    return StudentCard(
        case_student=cs,
        case=case,
        authorized=authorized,
        needs_override=override,
        do_not_release=prohibited,
        unavailable=unavailable,
        plans=preparedness_plans_of([p for p in unavailable if p.pk in guardian_ids]),
        attempts=[
            Attempt(row, [sent[pk] for pk in row.message_ids if pk in sent]) for row in outreach
        ],
        timeline=list(cs.timeline.select_related("actor").order_by("at", "id")),
        tasks=list(cs.tasks.select_related("assignee", "completed_by").order_by("priority", "id")),
        resources=list(SupportResource.objects.filter(active=True)),
    )


@dataclass
class PrintCard:
    case_student: CaseStudent
    authorized: list[StudentContact]
    do_not_release: list[str]


def print_cards(actor, case: Case) -> list[PrintCard]:
    """One printable card per student of `case` the actor may see: name, school, grade,
    counselor, the adults who may take them and only the names of those who may not."""
    students = list(
        case_students_visible_to(actor)
        .filter(case=case)
        .select_related("student__school", "counselor")
        .order_by("family", "student__last_name", "student__first_name", "id")
    )
    unavailable = set(case.guardians.values_list("person_id", flat=True))
    by_student: dict[int, list[StudentContact]] = {}
    for link in _links_of([cs.student_id for cs in students]):
        by_student.setdefault(link.student_id, []).append(link)
    cards = []
    for cs in students:
        authorized, _override, prohibited = _split_links(
            by_student.get(cs.student_id, []), unavailable
        )
        cards.append(PrintCard(cs, authorized, prohibited))
    return cards
