"""Reaching a pickup adult.

The order, per family of the case (siblings together: one adult can come for all of them): the
standby caregiver named in an unavailable guardian's preparedness plan, when they may pick up;
then the adults linked to the students in emergency-priority order, skipping the unavailable
guardians and anyone whose pickup is prohibited or not allowed; adults whose pickup is pending
review come after the allowed ones and are marked so.

One adult of a family is asked at a time. A YES marks them coming for their students and
completes "reach a pickup adult"; a NO, every channel failing, or no answer within the case's
wait moves on to the next adult; when nobody is left the lead gets a "nobody reachable" task.
Every change of an outreach runs under a row lock on its case (select_for_update), and asking is
a conditional update backed by a unique constraint (one asked adult per family), so a periodic
tick run twice at once, a reply racing the tick, or two beat processes never ask an adult twice
or two adults at once.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from alerts.models import Message
from alerts.registry import FallbackExhausted, Reply
from alerts.services import messages_queue_many
from contacts.models import Person, StudentContact
from privacy.errors import Conflict, DomainError
from privacy.models import DisclosureBasis
from privacy.services import audit_record, disclosure_record

from .. import access, messages
from ..models import Case, CaseStudent, Outreach, Task, TimelineEntry
from .common import actor_user, timeline_add, timeline_entry

logger = logging.getLogger(__name__)

# From which statuses an outcome may be recorded. A late YES is still welcome.
ANSWER_FROM = {
    Outreach.Status.COMING: (
        Outreach.Status.QUEUED,
        Outreach.Status.ASKED,
        Outreach.Status.NO_ANSWER,
        Outreach.Status.UNREACHABLE,
        Outreach.Status.DECLINED,
    ),
    Outreach.Status.DECLINED: (
        Outreach.Status.QUEUED,
        Outreach.Status.ASKED,
        Outreach.Status.NO_ANSWER,
    ),
    Outreach.Status.NO_ANSWER: (Outreach.Status.QUEUED, Outreach.Status.ASKED),
    Outreach.Status.UNREACHABLE: (Outreach.Status.QUEUED, Outreach.Status.ASKED),
}
CALL_OUTCOMES = tuple(ANSWER_FROM)
BEFORE_CONTACTED = (
    CaseStudent.Status.IDENTIFIED,
    CaseStudent.Status.WITH_COUNSELOR,
    CaseStudent.Status.CHECKED_IN,
)
PICKUP_STATUSES = (StudentContact.Pickup.ALLOWED, StudentContact.Pickup.PENDING)
NO_PRIORITY = 10_000


@dataclass
class AdultPlan:
    person_id: int
    student_ids: list[int]  # CaseStudent ids
    standby: bool
    pending: bool
    priority: int


def plan_family(
    *,
    case_students: list[CaseStudent],
    links: list[StudentContact],
    unavailable_ids: set[int],
    standby_ids: set[int],
) -> list[AdultPlan]:
    """The adults to ask for one family, in order (pure: no database access)."""
    by_student = {cs.student_id: cs for cs in case_students}
    allowed: dict[int, list[StudentContact]] = {}
    pending: dict[int, list[StudentContact]] = {}
    for link in links:
        if link.student_id not in by_student or link.person_id in unavailable_ids:
            continue
        if link.pickup_status == StudentContact.Pickup.ALLOWED:
            allowed.setdefault(link.person_id, []).append(link)
        elif link.pickup_status == StudentContact.Pickup.PENDING:
            pending.setdefault(link.person_id, []).append(link)
    plans = []
    for person_id in set(allowed) | set(pending):
        # An adult allowed for some of the children is asked for those; an adult only pending
        # review is asked, later, for the children they are pending for.
        chosen, is_pending = (
            (allowed[person_id], False) if person_id in allowed else (pending[person_id], True)
        )
        priorities = [link.emergency_priority for link in chosen if link.emergency_priority]
        plans.append(
            AdultPlan(
                person_id=person_id,
                student_ids=sorted(by_student[link.student_id].pk for link in chosen),
                standby=person_id in standby_ids and not is_pending,
                pending=is_pending,
                priority=min(priorities) if priorities else NO_PRIORITY,
            )
        )
    plans.sort(key=lambda p: (not p.standby, p.pending, p.priority, p.person_id))
    return plans


def _context(case_students: list[CaseStudent]) -> dict[str, str]:
    names = ", ".join(cs.student.display_name for cs in case_students)
    schools = []
    for cs in case_students:
        if cs.student.school not in schools:
            schools.append(cs.student.school)
    places = "; ".join(f"{s.name}, {s.address}" if s.address else s.name for s in schools)
    return {"students": names, "places": places}


def _ask(
    case: Case, picks: list[tuple[Outreach, list[CaseStudent]]], *, actor, now: datetime
) -> list[Outreach]:
    """Ask these adults (each the next of its family; the caller holds the case lock and has
    seen them queued). Writes the messages to the outbox (sent on commit, emergency lane).
    Returns the outreaches that could not be asked: nowhere to send (marked unreachable)."""
    built = []
    for outreach, students in picks:
        message, channel = messages.outgoing(
            case=case,
            person=outreach.person,
            points=list(outreach.person.contact_points.all()),
            template_key="reunify.pickup_request",
            context=_context(students),
            idempotency_key=f"reunify.outreach.{outreach.pk}.ask",
            reply_flow=messages.PICKUP_FLOW,
            fallback_context={"outreach_id": outreach.pk},
        )
        built.append((outreach, students, message, channel))
    messages_queue_many(messages=[m for _, _, m, _ in built if m is not None])
    keys = [m.idempotency_key for _, _, m, _ in built if m is not None]
    ids = dict(
        Message.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", "pk")
    )
    wait = timedelta(minutes=case.outreach_wait_minutes)
    failed, contacted, entries = [], [], []
    for outreach, students, message, channel in built:
        message_id = ids.get(message.idempotency_key) if message is not None else None
        name = outreach.person.display_name
        if message is None and not case.drill:
            outreach.status = Outreach.Status.UNREACHABLE
            outreach.answered_at = now
            failed.append(outreach)
            entries.append(
                timeline_entry(
                    case=case,
                    action="outreach.unreachable",
                    actor=actor,
                    at=now,
                    text=f"{name}: no phone or email to reach them",
                    data={"outreach": outreach.pk, "person": outreach.person_id},
                )
            )
            continue
        outreach.status = Outreach.Status.ASKED
        outreach.asked_at = now
        outreach.moves_on_at = now + wait
        outreach.channel = channel
        outreach.message_ids = [*outreach.message_ids, *([message_id] if message_id else [])]
        contacted += [cs.pk for cs in students]
        drill_note = " (drill: sent to the opener)" if case.drill and message else ""
        if case.drill and message is None:
            drill_note = " (drill: the opener has no email, nothing sent)"
        entries.append(
            timeline_entry(
                case=case,
                action="outreach.asked",
                actor=actor,
                at=now,
                text=f"Asked {name} by {channel or 'nothing'}{drill_note}",
                data={
                    "outreach": outreach.pk,
                    "person": outreach.person_id,
                    "channel": channel,
                    "message": message_id,
                    "students": [cs.pk for cs in students],
                    "pending_review": outreach.pending_review,
                    "standby": outreach.standby,
                },
            )
        )
    Outreach.objects.bulk_update(
        [o for o, _, _, _ in built],
        ["status", "asked_at", "moves_on_at", "answered_at", "channel", "message_ids"],
    )
    if contacted:
        CaseStudent.objects.filter(pk__in=contacted, status__in=BEFORE_CONTACTED).update(
            status=CaseStudent.Status.ADULT_CONTACTED
        )
        CaseStudent.objects.filter(pk__in=contacted, adult_contacted_at__isnull=True).update(
            adult_contacted_at=now
        )
    TimelineEntry.objects.bulk_create(entries)
    if not case.drill:
        asked = [(o, students) for o, students, m, _ in built if m is not None]
        _record_disclosures(asked, actor=actor, now=now)
    return failed


def _record_disclosures(
    asked: list[tuple[Outreach, list[CaseStudent]]], *, actor, now: datetime
) -> None:
    """The FERPA record of disclosures (34 CFR 99.32): asking an adult who is not a legal
    guardian of a child to pick them up tells that adult that the child needs picking up today,
    and where. Another of the child's legal guardians is no outside party; a drill tells
    nobody but the opener."""
    if not asked:
        return
    guardians = set(
        StudentContact.objects.guardianships()
        .filter(
            person_id__in={o.person_id for o, _ in asked},
            student_id__in={cs.student_id for _, students in asked for cs in students},
        )
        .values_list("person_id", "student_id")
    )
    for outreach, students in asked:
        told = [
            cs.student_id for cs in students if (outreach.person_id, cs.student_id) not in guardians
        ]
        if told:
            disclosure_record(
                actor=actor,
                student_ids=told,
                party=outreach.person.display_name,
                what="that the student needs to be picked up today, and at which school",
                basis=DisclosureBasis.LISTED_CONTACT,
                disclosed_at=now,
                source_type="reunify.outreach",
                source_id=outreach.pk,
            )


def advance(case: Case, *, families: set[int] | None = None, actor, now: datetime) -> None:
    """Ask the next adult of each family that has nobody asked and children nobody is coming
    for; give the lead a "nobody reachable" task for children no adult is left for. The caller
    holds the lock on the case row. A constant number of queries, whatever the family size."""
    if not case.is_open:
        return
    outreach = list(
        case.outreach.select_related("person")
        .prefetch_related("person__contact_points", "students")
        .order_by("family", "order")
    )
    students = list(case.students.select_related("student__school"))
    by_pk = {cs.pk: cs for cs in students}
    pending = set(families) if families is not None else {cs.family for cs in students}
    exhausted: dict[int, set[int]] = {}
    while pending:
        picks = []
        for family in sorted(pending):
            rows = [o for o in outreach if o.family == family]
            if any(o.status == Outreach.Status.ASKED for o in rows):
                continue
            uncovered = {
                cs.pk
                for cs in students
                if cs.family == family
                and not cs.settled
                and cs.status != CaseStudent.Status.ADULT_COMING
            }
            if not uncovered:
                continue
            nxt = next(
                (
                    o
                    for o in rows
                    if o.status == Outreach.Status.QUEUED
                    and uncovered & {s.pk for s in o.students.all()}
                ),
                None,
            )
            if nxt is None:
                exhausted[family] = uncovered
            else:
                asked_for = [by_pk[s.pk] for s in nxt.students.all() if s.pk in uncovered]
                picks.append((nxt, asked_for))
        if not picks:
            break
        pending = {o.family for o in _ask(case, picks, actor=actor, now=now)}
    if exhausted:
        _nobody_reachable(case, exhausted, outreach, by_pk, actor=actor, now=now)


def _attempts(rows: list[Outreach]) -> list[dict]:
    return [
        {
            "person": o.person_id,
            "name": o.person.display_name,
            "status": o.status,
            "channel": o.channel,
            "asked_at": o.asked_at.isoformat() if o.asked_at else None,
            "message_ids": o.message_ids,
            "pending_review": o.pending_review,
        }
        for o in rows
    ]


def _nobody_reachable(case, exhausted, outreach, by_pk, *, actor, now) -> None:
    have = set(
        Task.objects.filter(case=case, kind=Task.Kind.NOBODY_REACHABLE).values_list(
            "case_student_id", flat=True
        )
    )
    tasks, entries = [], []
    for family, uncovered in sorted(exhausted.items()):
        attempts = _attempts([o for o in outreach if o.family == family])
        for pk in sorted(uncovered - have):
            cs = by_pk[pk]
            text = f"Nobody reachable for {cs.student.display_name}"
            tasks.append(
                Task(
                    case=case,
                    case_student=cs,
                    kind=Task.Kind.NOBODY_REACHABLE,
                    assignee=case.opened_by,
                    priority=1,
                    due_at=now,
                    notes=text,
                    data={"attempts": attempts},
                )
            )
            entries.append(
                timeline_entry(
                    case=case,
                    case_student=cs,
                    action="outreach.exhausted",
                    actor=actor,
                    at=now,
                    text=f"{text}: every adult was tried ({len(attempts)})",
                    data={"attempts": len(attempts)},
                )
            )
    Task.objects.bulk_create(tasks)
    TimelineEntry.objects.bulk_create(entries)


def _confirm(case: Case, outreach: Outreach, students: list[CaseStudent]) -> None:
    person = Person.objects.prefetch_related("contact_points").get(pk=outreach.person_id)
    message, _ = messages.outgoing(
        case=case,
        person=person,
        points=list(person.contact_points.all()),
        template_key="reunify.pickup_confirmed",
        context=_context(students),
        idempotency_key=f"reunify.outreach.{outreach.pk}.confirmed",
    )
    if message is not None:
        messages_queue_many(messages=[message])


def outreach_record_answer(
    *,
    actor,
    outreach_id: int,
    outcome: str,
    channel: str = "",
    note: str = "",
    message_id: int | None = None,
    strict: bool = False,
    now: datetime | None = None,
) -> bool:
    """Record what an adult answered (a reply, a phone call, a failure, no answer) and act on
    it: coming → their students are marked "adult coming", the "reach a pickup adult" tasks
    complete and the adult gets a confirmation; otherwise the next adult is asked if this one was
    the one being asked. Locks the case row; the outcome is a conditional update, so a repeated
    reply or a second tick changes nothing. Returns whether anything changed; with `strict`, a
    transition that is not allowed raises Conflict (code "outreach_answered") instead."""
    if outcome not in ANSWER_FROM:
        raise DomainError(
            f"outcome: must be one of {', '.join(CALL_OUTCOMES)}.",
            code="invalid_outcome",
            field="outcome",
        )
    now = now or timezone.now()
    user = actor_user(actor)
    with transaction.atomic():
        case_id = Outreach.objects.filter(pk=outreach_id).values_list("case_id", flat=True).first()
        if case_id is None:
            return False
        case = Case.objects.select_for_update().select_related("opened_by").get(pk=case_id)
        outreach = Outreach.objects.select_related("person").get(pk=outreach_id)
        was_asked = outreach.status == Outreach.Status.ASKED
        changed = Outreach.objects.filter(pk=outreach.pk, status__in=ANSWER_FROM[outcome]).update(
            status=outcome, answered_at=now
        )
        if not changed:
            if strict:
                raise Conflict(
                    f"{outreach.person.display_name} is already recorded as "
                    f"{outreach.get_status_display().lower()}.",
                    code="outreach_answered",
                    field="outcome",
                )
            return False
        previous = outreach.status
        outreach.status = outcome
        by = f"by {channel}" if channel else ""
        text = f"{outreach.person.display_name}: {Outreach.Status(outcome).label.lower()} {by}"
        timeline_add(
            case=case,
            action=f"outreach.{outcome}",
            actor=actor,
            at=now,
            text=f"{text}{': ' + note if note else ''}".strip(),
            data={
                "outreach": outreach.pk,
                "person": outreach.person_id,
                "channel": channel,
                "message": message_id,
                "before": previous,
            },
        )
        audit_record(
            actor=user or str(actor or "system"),
            action=f"reunify.outreach.{outcome}",
            obj=outreach,
            before={"status": previous},
            after={"status": outcome, "channel": channel},
        )
        if outcome == Outreach.Status.COMING:
            students = list(
                outreach.students.exclude(status__in=CaseStudent.SETTLED)
                .exclude(status=CaseStudent.Status.ADULT_COMING)
                .select_related("student__school")
            )
            pks = [cs.pk for cs in students]
            CaseStudent.objects.filter(pk__in=pks).update(
                status=CaseStudent.Status.ADULT_COMING,
                adult_coming_at=now,
                coming_adult=outreach.person,
            )
            Task.objects.filter(
                case_student__in=pks, kind=Task.Kind.REACH_ADULT, status__in=Task.ACTIVE
            ).update(status=Task.Status.DONE, completed_by=user, completed_at=now)
            if students and case.is_open:
                _confirm(case, outreach, students)
        if case.is_open and (was_asked or outcome == Outreach.Status.COMING):
            advance(case, families={outreach.family}, actor=actor, now=now)
    return True


def outreach_call_log(
    *, actor, case: Case, person_id: int, outcome: str, note: str = ""
) -> list[Outreach]:
    """A staff member called an adult by hand; the outcome counts like a reply. Raises
    DomainError (400) for a person who is not a pickup adult of this case or a bad outcome,
    Conflict (409) for a closed case or an answer already recorded."""
    if not access.can_log_call(actor):
        raise DomainError("You may not log calls for this case.", code="forbidden", status=403)
    if outcome not in ANSWER_FROM:
        raise DomainError(
            f"outcome: must be one of {', '.join(CALL_OUTCOMES)}.",
            code="invalid_outcome",
            field="outcome",
        )
    if len(note) > 250:
        raise DomainError("note: at most 250 characters.", code="too_long", field="note")
    if not case.is_open:
        raise Conflict("The case is closed.", code="case_closed")
    rows = list(case.outreach.filter(person_id=person_id))
    if not rows:
        raise DomainError(
            "person: not a pickup adult of this case.", code="not_pickup_adult", field="person"
        )
    with transaction.atomic():
        for row in rows:
            outreach_record_answer(
                actor=actor,
                outreach_id=row.pk,
                outcome=outcome,
                channel="phone",
                note=note,
                strict=True,
            )
    return list(case.outreach.filter(person_id=person_id))


def outreach_tick(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """The periodic step (celery beat, every minute): move on from adults who did not answer
    within the wait, and from adults every message to whom failed. Idempotent and safe to run
    twice at once: each move is a conditional update under the case's lock."""
    now = now or timezone.now()
    due = list(
        Outreach.objects.filter(
            status=Outreach.Status.ASKED, moves_on_at__lte=now, case__status=Case.Status.OPEN
        )
        .order_by("moves_on_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    moved = sum(
        outreach_record_answer(
            actor="tick", outreach_id=pk, outcome=Outreach.Status.NO_ANSWER, now=now
        )
        for pk in due
    )
    failed = sum(
        outreach_record_answer(
            actor="tick", outreach_id=pk, outcome=Outreach.Status.UNREACHABLE, now=now
        )
        for pk in _every_message_failed()
    )
    if moved or failed:
        logger.info("reunify outreach tick: no_answer=%s unreachable=%s", moved, failed)
    return {"no_answer": moved, "unreachable": failed}


def _every_message_failed() -> list[int]:
    """Asked outreaches whose every message (the first and each fallback) failed."""
    asked = dict(
        Outreach.objects.filter(
            status=Outreach.Status.ASKED, case__status=Case.Status.OPEN, case__drill=False
        ).values_list("pk", "case_id")
    )
    if not asked:
        return []
    statuses: dict[int, set[str]] = {}
    rows = Message.objects.filter(
        cause_type=messages.CAUSE_TYPE,
        cause_id__in=set(asked.values()),
        purpose="reunify.pickup_request",
    ).values_list("fallback_context", "status")
    for context, status in rows:
        pk = (context or {}).get("outreach_id")
        if pk in asked:
            statuses.setdefault(pk, set()).add(status)
    done = {Message.Status.FAILED, Message.Status.CANCELLED}
    return sorted(pk for pk, seen in statuses.items() if seen <= done)


def _outreach_of_message(message_id: int) -> int | None:
    context = (
        Message.objects.filter(pk=message_id).values_list("fallback_context", flat=True).first()
    )
    return (context or {}).get("outreach_id")


def pickup_reply(reply: Reply) -> None:
    """alerts' reply handler for "reunify.pickup" (inside the webhook's transaction)."""
    outreach_id = _outreach_of_message(reply.message_id)
    if outreach_id is None:
        return
    if reply.affirmative:
        outcome = Outreach.Status.COMING
    elif reply.negative:
        outcome = Outreach.Status.DECLINED
    else:
        case_id = Outreach.objects.filter(pk=outreach_id).values_list("case_id", flat=True).first()
        if case_id is not None:
            timeline_add(
                case=Case.objects.get(pk=case_id),
                action="outreach.unclear_reply",
                actor="reply",
                text="A reply that is neither YES nor NO: call the adult",
                data={"outreach": outreach_id, "message": reply.message_id},
            )
        return
    outreach_record_answer(
        actor="reply",
        outreach_id=outreach_id,
        outcome=outcome,
        channel="sms",
        message_id=reply.message_id,
    )


def pickup_unreachable(event: FallbackExhausted) -> None:
    """alerts' fallback-exhausted listener for "reunify.pickup": nobody was reached through
    the message, which is a permanent failure of that adult."""
    outreach_id = _outreach_of_message(event.message_id)
    if outreach_id is None:
        return
    outreach_record_answer(
        actor="alerts",
        outreach_id=outreach_id,
        outcome=Outreach.Status.UNREACHABLE,
        message_id=event.message_id,
    )
