"""Opening, previewing and closing a case; a case student's counselor, settlement and
placement."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from contacts.models import Person, Student, StudentContact
from contacts.portal.models import PreparednessPlan
from contacts.selectors import students_visible_to
from privacy.errors import Conflict, DomainError
from privacy.roles import Role, has_role
from privacy.services import audit_record

from .. import access, conf
from ..models import (
    Case,
    CaseGuardian,
    CaseStudent,
    CounselorProfile,
    Outreach,
    Placement,
    Task,
    TimelineEntry,
)
from . import assignment, outreach
from .common import display_name, timeline_add, timeline_entry

CHECK_IN_WITHIN = timedelta(minutes=15)
SUPPORT_WITHIN = timedelta(hours=1)
FOLLOW_UP_AT = time(9, 0)
MAX_GUARDIANS = 20


@dataclass(frozen=True)
class Notice:
    """Something the lead is told about an open or a preview ("already in an open case")."""

    code: str
    message: str
    guardian: int | None = None
    student: int | None = None
    case: int | None = None


@dataclass
class CasePreview:
    """Who a case would cover, found without writing anything."""

    kind: str
    guardians: list[Person]
    students: list[Student]
    # Lists of student ids; siblings (through the named guardians) share one family.
    families: list[list[int]]
    notices: list[Notice] = field(default_factory=list)
    # Named guardians already in an open case: person id -> case id.
    already_open: dict[int, int] = field(default_factory=dict)
    # Students already in another open case: student id -> case id.
    students_in_open_case: dict[int, int] = field(default_factory=dict)


@dataclass
class CaseOpenResult:
    case: Case
    created: bool
    notices: list[Notice] = field(default_factory=list)


def _forbidden(message: str) -> DomainError:
    return DomainError(message, code="forbidden", status=403)


def _check_guardian_ids(guardian_ids) -> list[int]:
    if not isinstance(guardian_ids, list | tuple) or not guardian_ids:
        raise DomainError(
            "guardians: name at least one unavailable adult.", code="required", field="guardians"
        )
    ids = []
    for value in guardian_ids:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise DomainError(
                "guardians: each must be a person id.", code="invalid", field="guardians"
            )
        if value not in ids:
            ids.append(value)
    if len(ids) > MAX_GUARDIANS:
        raise DomainError(
            f"guardians: at most {MAX_GUARDIANS} adults in one case.",
            code="too_many",
            field="guardians",
        )
    return ids


def _families(links: list[tuple[int, int]], student_ids: list[int]) -> list[list[int]]:
    """Group students into families: students sharing a guardian among `links` (person id,
    student id) are one family. Pure."""
    parent = {pk: pk for pk in student_ids}

    def root(pk: int) -> int:
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    first_of: dict[int, int] = {}
    for person_id, student_id in links:
        if student_id not in parent:
            continue
        if person_id in first_of:
            a, b = root(first_of[person_id]), root(student_id)
            if a != b:
                parent[max(a, b)] = min(a, b)
        else:
            first_of[person_id] = student_id
    groups: dict[int, list[int]] = defaultdict(list)
    for pk in student_ids:
        groups[root(pk)].append(pk)
    return [groups[key] for key in sorted(groups)]


def case_preview(*, actor, guardian_ids, kind: str = Case.Kind.GUARDIAN_UNAVAILABLE) -> CasePreview:
    """Who a guardian-unavailable case for these adults would cover: every active student they
    are a custodial legal guardian of, in every school (contacts' `children_of`). Writes nothing.
    Raises DomainError (400, field "guardians") for an empty list, an unknown person, a person
    who is nobody's guardian, or a student in no school the actor may see; 403 for an actor who
    may not open cases."""
    if not access.can_open_case(actor):
        raise _forbidden("Only a crisis lead may open a case.")
    if kind != Case.Kind.GUARDIAN_UNAVAILABLE:
        raise DomainError(
            "kind: only guardian_unavailable cases are opened by naming adults.",
            code="invalid_kind",
            field="kind",
        )
    ids = _check_guardian_ids(guardian_ids)
    people = {p.pk: p for p in Person.objects.filter(pk__in=ids)}
    unknown = [pk for pk in ids if pk not in people]
    if unknown:
        raise DomainError(
            f"guardians: no person with id {', '.join(map(str, unknown))}.",
            code="unknown_person",
            field="guardians",
            extra={"ids": unknown},
        )
    links = list(
        StudentContact.objects.guardianships()
        .filter(person_id__in=ids)
        .values_list("person_id", "student_id")
        .order_by("student_id", "person_id")
    )
    students = list(
        Student.objects.children_of(ids)
        .select_related("school")
        .order_by("last_name", "first_name", "pk")
    )
    with_children = {person_id for person_id, _ in links}
    nobody = [pk for pk in ids if pk not in with_children]
    if nobody:
        names = ", ".join(people[pk].display_name for pk in nobody)
        raise DomainError(
            f"guardians: {names} is no active student's legal guardian.",
            code="not_a_guardian",
            field="guardians",
            extra={"ids": nobody},
        )
    visible = set(
        students_visible_to(actor)
        .filter(pk__in=[s.pk for s in students])
        .values_list("pk", flat=True)
    )
    hidden = [s.pk for s in students if s.pk not in visible]
    if hidden:
        raise DomainError(
            "guardians: a student of theirs is in no school you may see.",
            code="student_not_visible",
            field="guardians",
            extra={"students": hidden},
        )
    preview = CasePreview(
        kind=kind,
        guardians=[people[pk] for pk in ids],
        students=students,
        families=_families(links, [s.pk for s in students]),
    )
    for person_id, case_id in CaseGuardian.objects.filter(person_id__in=ids, open=True).values_list(
        "person_id", "case_id"
    ):
        preview.already_open[person_id] = case_id
        preview.notices.append(
            Notice(
                code="guardian_in_open_case",
                message=f"{people[person_id].display_name} is already in open case {case_id}: "
                "nothing is added for them.",
                guardian=person_id,
                case=case_id,
            )
        )
    in_case = CaseStudent.objects.filter(
        case__status=Case.Status.OPEN, student__in=[s.pk for s in students]
    ).values_list("student_id", "case_id")
    for student_id, case_id in in_case:
        preview.students_in_open_case[student_id] = case_id
    return preview


def _next_school_day(now: datetime, tz_name: str) -> datetime:
    try:
        tz = ZoneInfo(tz_name)
    except (KeyError, ValueError):
        tz = timezone.get_current_timezone()
    day = now.astimezone(tz).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, FOLLOW_UP_AT, tzinfo=tz)


def _tasks_for(case: Case, cs: CaseStudent, *, lead, now: datetime) -> list[Task]:
    assignee_id = cs.counselor_id or lead.pk
    wait = timedelta(minutes=case.outreach_wait_minutes)
    specs = [
        (Task.Kind.CHECK_IN, 1, now + CHECK_IN_WITHIN),
        (Task.Kind.REACH_ADULT, 1, now + wait),
        (Task.Kind.RELEASE, 2, None),
        (Task.Kind.SUPPORT, 3, now + SUPPORT_WITHIN),
        (Task.Kind.FOLLOW_UP, 4, _next_school_day(now, cs.student.school.timezone)),
    ]
    if cs.in_lead_queue:
        specs.insert(0, (Task.Kind.ASSIGN_COUNSELOR, 1, now))
    return [
        Task(
            case=case,
            case_student=cs,
            kind=kind,
            assignee_id=assignee_id,
            priority=priority,
            due_at=due,
        )
        for kind, priority, due in specs
    ]


def _family_language(family: list[Student], guardians: list[Person], links) -> str:
    ids = {s.pk for s in family}
    for guardian in guardians:
        if any(p == guardian.pk and s in ids for p, s in links):
            return assignment.primary_language(guardian.preferred_language)
    return assignment.primary_language(family[0].home_language)


def _existing(*, idempotency_key: str | None, guardian_ids: list[int]) -> Case | None:
    if idempotency_key:
        found = Case.objects.filter(idempotency_key=idempotency_key).first()
        if found is not None:
            return found
    case_ids = set(
        CaseGuardian.objects.filter(person_id__in=guardian_ids, open=True).values_list(
            "case_id", flat=True
        )
    )
    return Case.objects.filter(pk__in=case_ids).order_by("pk").first()


def case_open(
    *,
    actor,
    guardian_ids,
    kind: str = Case.Kind.GUARDIAN_UNAVAILABLE,
    drill: bool = False,
    idempotency_key: str | None = None,
    outreach_wait_minutes: int | None = None,
) -> CaseOpenResult:
    """Open a guardian-unavailable case, in one transaction: the case, its guardians, every
    affected student with a counselor (or the lead's queue when nobody is free), their tasks
    (check-in due within 15 minutes), the outreach plan and the first pickup requests (outbox
    rows on the emergency lane, sent on commit), the timeline and the audit entry.

    Idempotent: the same Idempotency-Key, or guardians who are all in an open case already,
    give that case back (`created` False). A guardian already in an open case adds nothing and
    is reported in `notices`, as are students already in another open case. A drill runs the
    same but its messages go to the opener's email only. Counselor places are taken with
    conditional updates (see services.assignment). Raises what case_preview raises, Conflict
    (409) when every student is already in an open case or an Idempotency-Key is reused by
    someone else, DomainError for a bad wait."""
    if not access.can_open_case(actor):
        raise _forbidden("Only a crisis lead may open a case.")
    if idempotency_key is not None and not (0 < len(idempotency_key) <= 120):
        raise DomainError(
            "Idempotency-Key: from 1 to 120 characters.",
            code="invalid",
            field="Idempotency-Key",
        )
    wait = (
        conf.check_wait_minutes(outreach_wait_minutes, field="outreach_wait_minutes")
        if outreach_wait_minutes is not None
        else conf.outreach_wait_minutes()
    )
    if idempotency_key:
        replay = Case.objects.filter(idempotency_key=idempotency_key).first()
        if replay is not None:
            return _replayed(replay, actor)
    preview = case_preview(actor=actor, guardian_ids=guardian_ids, kind=kind)
    named = [p.pk for p in preview.guardians]
    if set(preview.already_open) == set(named):
        case = Case.objects.get(pk=min(preview.already_open.values()))
        return CaseOpenResult(case=case, created=False, notices=preview.notices)
    try:
        return _open(actor, preview, drill=drill, key=idempotency_key, wait=wait)
    except IntegrityError:
        # A concurrent open with the same key or the same guardians committed first.
        found = _existing(idempotency_key=idempotency_key, guardian_ids=named)
        if found is None:
            raise
        return _replayed(found, actor)


def _replayed(case: Case, actor) -> CaseOpenResult:
    if case.opened_by_id != actor.pk:
        raise Conflict(
            "Idempotency-Key: already used for another request.",
            code="idempotency_key_reused",
            field="Idempotency-Key",
        )
    return CaseOpenResult(case=case, created=False)


def _open(actor, preview: CasePreview, *, drill: bool, key: str | None, wait: int):
    now = timezone.now()
    notices = list(preview.notices)
    remaining = [p for p in preview.guardians if p.pk not in preview.already_open]
    remaining_ids = {p.pk for p in remaining}
    links = list(
        StudentContact.objects.guardianships()
        .filter(person_id__in=remaining_ids)
        .values_list("person_id", "student_id")
    )
    mine = {s for p, s in links}
    students = []
    for student in preview.students:
        if student.pk not in mine:
            continue
        if student.pk in preview.students_in_open_case:
            other = preview.students_in_open_case[student.pk]
            notices.append(
                Notice(
                    code="student_in_open_case",
                    message=f"{student.display_name} is already in open case {other}.",
                    student=student.pk,
                    case=other,
                )
            )
            continue
        students.append(student)
    if not students:
        raise Conflict(
            "guardians: every student of theirs is already in an open case.",
            code="students_in_open_case",
            field="guardians",
            extra={"cases": sorted(set(preview.students_in_open_case.values()))},
        )
    by_pk = {s.pk: s for s in students}
    families = [
        [by_pk[pk] for pk in family if pk in by_pk] for family in _families(links, list(by_pk))
    ]
    families = [f for f in families if f]
    with transaction.atomic():
        case = Case.objects.create(
            kind=preview.kind,
            drill=drill,
            opened_by=actor,
            opened_at=now,
            idempotency_key=key or None,
            outreach_wait_minutes=wait,
        )
        CaseGuardian.objects.bulk_create([CaseGuardian(case=case, person=p) for p in remaining])
        pool = assignment.candidates()
        case_students = []
        for number, family in enumerate(families, start=1):
            language = _family_language(family, remaining, links)
            chosen = assignment.assign_family(
                pool, students=[(s.pk, s.school_id) for s in family], language=language
            )
            for student in family:
                counselor_id = chosen[student.pk]
                case_students.append(
                    CaseStudent(
                        case=case,
                        student=student,
                        family=number,
                        counselor_id=counselor_id,
                        in_lead_queue=counselor_id is None,
                        identified_at=now,
                    )
                )
        CaseStudent.objects.bulk_create(case_students)
        tasks = [t for cs in case_students for t in _tasks_for(case, cs, lead=actor, now=now)]
        Task.objects.bulk_create(tasks)
        _plan_outreach(case, case_students, families, unavailable=set(named_all(preview)))
        queued = [cs for cs in case_students if cs.in_lead_queue]
        if queued:
            notices.append(
                Notice(
                    code="no_counselor_free",
                    message=f"No counselor is free for {len(queued)} student(s): they are in "
                    "your queue.",
                )
            )
        counselors = {u.pk: u for u in _users({cs.counselor_id for cs in case_students})}
        entries = [
            timeline_entry(
                case=case,
                action="case.opened",
                actor=actor,
                at=now,
                text=f"{'Drill case' if drill else 'Case'} opened: guardian unavailable, "
                f"{len(case_students)} student(s)",
                data={"guardians": sorted(remaining_ids), "drill": drill},
            )
        ]
        for cs in case_students:
            who = (
                display_name(counselors[cs.counselor_id])
                if cs.counselor_id
                else "the lead's queue (no counselor free)"
            )
            entries.append(
                timeline_entry(
                    case=case,
                    case_student=cs,
                    action="student.assigned",
                    actor=actor,
                    at=now,
                    text=f"{cs.student.display_name} ({cs.student.school.name}): {who}",
                    data={"counselor": cs.counselor_id},
                )
            )
        TimelineEntry.objects.bulk_create(entries)
        audit_record(
            actor=actor,
            action="reunify.case.opened",
            obj=case,
            after={
                "kind": case.kind,
                "drill": drill,
                "guardians": sorted(remaining_ids),
                "students": [cs.student_id for cs in case_students],
                "counselors": {str(cs.student_id): cs.counselor_id for cs in case_students},
            },
        )
        outreach.advance(case, actor=actor, now=now)
    return CaseOpenResult(case=case, created=True, notices=notices)


def named_all(preview: CasePreview) -> list[int]:
    """Every named guardian is unavailable, also those already in another open case."""
    return [p.pk for p in preview.guardians]


def _users(ids):
    from django.contrib.auth import get_user_model

    ids = {pk for pk in ids if pk}
    return list(get_user_model().objects.filter(pk__in=ids)) if ids else []


def _plan_outreach(case, case_students, families, *, unavailable: set[int]) -> None:
    student_ids = [cs.student_id for cs in case_students]
    links = list(
        StudentContact.objects.filter(student_id__in=student_ids).only(
            "student_id", "person_id", "pickup_status", "emergency_priority"
        )
    )
    standby = set(
        PreparednessPlan.objects.filter(
            guardian_id__in=unavailable, standby_caregiver__isnull=False
        ).values_list("standby_caregiver_id", flat=True)
    )
    rows, members = [], []
    for number in range(1, len(families) + 1):
        family = [cs for cs in case_students if cs.family == number]
        plans = outreach.plan_family(
            case_students=family, links=links, unavailable_ids=unavailable, standby_ids=standby
        )
        for order, plan in enumerate(plans, start=1):
            row = Outreach(
                case=case,
                family=number,
                person_id=plan.person_id,
                order=order,
                standby=plan.standby,
                pending_review=plan.pending,
            )
            rows.append(row)
            members.append(plan.student_ids)
    Outreach.objects.bulk_create(rows)
    through = Outreach.students.through
    through.objects.bulk_create(
        [
            through(outreach_id=row.pk, casestudent_id=pk)
            for row, pks in zip(rows, members, strict=True)
            for pk in pks
        ]
    )


def case_close(*, actor, case: Case, note: str = "", automatic: bool = False) -> Case:
    """Close a case (lead only): its guardians leave the "open case" constraint, the students
    still in care give their counselors' places back, active tasks are cancelled except the
    next-day follow-up and support. Raises Conflict (409, code "already_closed") when the case
    is closed already, also when two leads close it at once (a conditional update)."""
    # `automatic`: the last student settled (by whoever released them) closes the case.
    if not automatic and not access.can_close_case(actor):
        raise _forbidden("Only a crisis lead may close a case.")
    if len(note) > 500:
        raise DomainError("note: at most 500 characters.", code="too_long", field="note")
    now = timezone.now()
    with transaction.atomic():
        closed = Case.objects.filter(pk=case.pk, status=Case.Status.OPEN).update(
            status=Case.Status.CLOSED, closed_by=actor, closed_at=now, close_note=note
        )
        if not closed:
            current = Case.objects.select_related("closed_by").get(pk=case.pk)
            raise Conflict(
                f"Case {current.number} was already closed by {display_name(current.closed_by)}.",
                code="already_closed",
            )
        CaseGuardian.objects.filter(case=case).update(open=False)
        loads = dict(
            case.students.unsettled()
            .exclude(counselor=None)
            .values_list("counselor_id")
            .annotate(n=Count("pk"))
            .values_list("counselor_id", "n")
        )
        assignment.caseload_release(loads)
        case.tasks.filter(status__in=Task.ACTIVE).exclude(
            kind__in=[Task.Kind.FOLLOW_UP, Task.Kind.SUPPORT]
        ).update(status=Task.Status.CANCELLED)
        timeline_add(
            case=case, action="case.closed", actor=actor, at=now, text=f"Case closed. {note}"
        )
        audit_record(
            actor=actor,
            action="reunify.case.closed",
            obj=case,
            before={"status": Case.Status.OPEN},
            after={"status": Case.Status.CLOSED, "note": note},
        )
    case.refresh_from_db()
    return case


def case_student_assign(*, actor, case_student: CaseStudent, counselor) -> CaseStudent:
    """Give a student another counselor (lead only), e.g. out of the lead's queue. Takes a place
    on the new counselor's caseload with a conditional update (Conflict "counselor_full" when
    they have none left), gives the old one's back, and moves the student's active counselor
    tasks. Raises DomainError for a user without an on-duty counselor profile."""
    if not access.can_override(actor):
        raise _forbidden("Only a crisis lead may assign counselors.")
    profile = (
        CounselorProfile.objects.filter(user=counselor, on_duty=True).select_related("user").first()
    )
    if profile is None or not has_role(counselor, Role.COUNSELOR):
        raise DomainError(
            "counselor: not an on-duty counselor.", code="not_a_counselor", field="counselor"
        )
    if case_student.counselor_id == counselor.pk:
        return case_student
    with transaction.atomic():
        current = CaseStudent.objects.select_for_update().get(pk=case_student.pk)
        if not assignment._take(assignment.Candidate(profile, frozenset(), frozenset()), 1):
            raise Conflict(
                f"{display_name(counselor)} has no room left on their caseload.",
                code="counselor_full",
                field="counselor",
            )
        before = current.counselor_id
        if before and not current.settled:
            assignment.caseload_release({before: 1})
        CaseStudent.objects.filter(pk=current.pk).update(counselor=counselor, in_lead_queue=False)
        lead_kinds = [Task.Kind.NOBODY_REACHABLE, Task.Kind.ASSIGN_COUNSELOR]
        current.tasks.filter(status__in=Task.ACTIVE).exclude(kind__in=lead_kinds).update(
            assignee=counselor
        )
        current.tasks.filter(kind=Task.Kind.ASSIGN_COUNSELOR, status__in=Task.ACTIVE).update(
            status=Task.Status.DONE, completed_by=actor, completed_at=timezone.now()
        )
        timeline_add(
            case=current.case,
            case_student=current,
            action="student.assigned",
            actor=actor,
            text=f"{current.student.display_name}: counselor {display_name(counselor)}",
            data={"counselor": counselor.pk, "before": before},
        )
        audit_record(
            actor=actor,
            action="reunify.student.counselor_assigned",
            obj=current,
            before={"counselor": before},
            after={"counselor": counselor.pk},
        )
    case_student.refresh_from_db()
    return case_student


def case_student_settle(
    *, actor, case_student: CaseStudent, status: str, note: str = ""
) -> CaseStudent:
    """The student has left the school's care: released (the release service calls this), placed
    or absent. Conditional on the student not being settled already (Conflict "already_settled").
    Gives the counselor's place back, cancels the tasks that no longer apply, and closes the case
    when every student is settled."""
    if status not in CaseStudent.SETTLED:
        raise DomainError(
            f"status: must be one of {', '.join(CaseStudent.SETTLED)}.",
            code="invalid_status",
            field="status",
        )
    now = timezone.now()
    with transaction.atomic():
        done = (
            CaseStudent.objects.filter(pk=case_student.pk)
            .exclude(status__in=CaseStudent.SETTLED)
            .update(status=status, settled_at=now)
        )
        if not done:
            raise Conflict("The student is already released or placed.", code="already_settled")
        assignment.caseload_release({case_student.counselor_id: 1})
        cancel = [Task.Kind.CHECK_IN, Task.Kind.REACH_ADULT, Task.Kind.ASSIGN_COUNSELOR]
        if status != CaseStudent.Status.RELEASED:
            cancel.append(Task.Kind.RELEASE)
        case_student.tasks.filter(status__in=Task.ACTIVE, kind__in=cancel).update(
            status=Task.Status.CANCELLED
        )
        case = case_student.case
        timeline_add(
            case=case,
            case_student=case_student,
            action=f"student.{status}",
            actor=actor,
            at=now,
            text=f"{case_student.student.display_name}: {CaseStudent.Status(status).label}. "
            f"{note}".strip(),
        )
        audit_record(
            actor=actor,
            action=f"reunify.student.{status}",
            obj=case_student,
            before={"status": case_student.status},
            after={"status": status},
        )
        if case.is_open and not case.students.unsettled().exists():
            case_close(
                actor=actor, case=case, note="Every student was released or placed.", automatic=True
            )
    case_student.refresh_from_db()
    return case_student


def case_student_account(*, actor, case_student: CaseStudent, where: str) -> CaseStudent:
    """Record where the student was accounted for (a room, the gym), and when."""
    where = (where or "").strip()
    if not where or len(where) > 120:
        raise DomainError("where: from 1 to 120 characters.", code="invalid", field="where")
    now = timezone.now()
    with transaction.atomic():
        CaseStudent.objects.filter(pk=case_student.pk).update(
            accounted_where=where, accounted_at=now
        )
        timeline_add(
            case=case_student.case,
            case_student=case_student,
            action="student.accounted_for",
            actor=actor,
            at=now,
            text=f"{case_student.student.display_name} accounted for: {where}",
        )
        audit_record(
            actor=actor,
            action="reunify.student.accounted_for",
            obj=case_student,
            after={"where": where},
        )
    case_student.refresh_from_db()
    return case_student


def placement_record(
    *, actor, case_student: CaseStudent, placed_with: str, reason: str
) -> Placement:
    """The lead records an alternative placement (e.g. county child welfare) with a reason, only
    after every adult was tried (the student has a "nobody reachable" task). Raises 403 for
    anyone but a lead, DomainError for a missing reason, Conflict when adults are left to try,
    the student is settled or the case is closed."""
    if not access.can_override(actor):
        raise _forbidden("Only a crisis lead may record a placement.")
    placed_with, reason = (placed_with or "").strip(), (reason or "").strip()
    if not placed_with or len(placed_with) > 200:
        raise DomainError(
            "placed_with: from 1 to 200 characters.", code="invalid", field="placed_with"
        )
    if not reason or len(reason) > 500:
        raise DomainError("reason: from 1 to 500 characters.", code="invalid", field="reason")
    case = case_student.case
    if not case.is_open:
        raise Conflict("The case is closed.", code="case_closed")
    if not case_student.tasks.filter(kind=Task.Kind.NOBODY_REACHABLE).exists():
        raise Conflict(
            "Not every adult has been tried yet: a placement comes only after that.",
            code="adults_left",
        )
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                placement = Placement.objects.create(
                    case_student=case_student,
                    placed_with=placed_with,
                    reason=reason,
                    recorded_by=actor,
                    recorded_at=now,
                )
        except IntegrityError as exc:
            raise Conflict("A placement is already recorded.", code="already_placed") from exc
        case_student.tasks.filter(kind=Task.Kind.NOBODY_REACHABLE, status__in=Task.ACTIVE).update(
            status=Task.Status.DONE, completed_by=actor, completed_at=now
        )
        audit_record(
            actor=actor,
            action="reunify.student.placement_recorded",
            obj=placement,
            after={"placed_with": placed_with, "reason": reason},
        )
        case_student_settle(
            actor=actor,
            case_student=case_student,
            status=CaseStudent.Status.PLACED,
            note=f"Placed with {placed_with}: {reason}",
        )
    return placement
