"""School events (mass reunification): a crisis lead opens a case for one school (evacuation,
lockdown release, closure); every active student of the school is in it. One notice goes to
every guardian, in their language, saying where and when to come, with a personal check-in
link; there is no outreach to each family. Adults may check in ahead from the link (who, which
children, in about how many minutes): a queue for the desk that proves nothing by itself.
Staff account for each student (present, absent, with a nurse, transported elsewhere). Releases
go through services.release, under the same rules as any case.

Also the close that needs a reason while students are still in the school's care.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts.services import messages_queue_many
from contacts.models import Person, School, Student, StudentContact
from contacts.selectors import schools_visible_to
from privacy.errors import Conflict, DomainError
from privacy.services import audit_record

from .. import access, messages, release_conf
from ..models import Accounting, Case, CaseStudent, EventCheckIn, TimelineEntry
from ..selectors import case_students_visible_to
from .cases import Notice, _families, case_close, case_student_account, case_student_settle
from .common import timeline_add, timeline_entry

CHECKIN_SALT = "reunify.event_checkin"
MAX_ETA_MINUTES = 600
MAX_SITE = 200


@dataclass
class EventOpenResult:
    case: Case
    created: bool
    notices: list[Notice] = field(default_factory=list)
    notified: int = 0


def checkin_token(case: Case, person_id: int) -> str:
    """The personal check-in link's token: Django's signing over (case, person)."""
    return signing.dumps({"c": case.pk, "p": person_id}, salt=CHECKIN_SALT, compress=True)


def checkin_link(case: Case, person_id: int) -> str:
    return f"{release_conf.public_base_url()}/reunify/checkin/{checkin_token(case, person_id)}/"


def read_checkin_token(token: str) -> tuple[int, int]:
    """(case id, person id) of a check-in link; DomainError for a bad or expired link."""
    max_age = timedelta(days=release_conf.checkin_link_days())
    try:
        data = signing.loads(str(token), salt=CHECKIN_SALT, max_age=max_age)
        return int(data["c"]), int(data["p"])
    except signing.SignatureExpired as exc:
        raise DomainError(
            "This check-in link has expired.", code="link_expired", field="token"
        ) from exc
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise DomainError(
            "This check-in link is not valid.", code="bad_link", field="token"
        ) from exc


def _text(value, *, field: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or "\x00" in value:
        raise DomainError(f"{field}: must be text.", code="invalid", field=field)
    value = value.strip()
    if len(value) > limit:
        raise DomainError(f"{field}: at most {limit} characters.", code="too_long", field=field)
    return value


def school_event_open(
    *,
    actor,
    school,
    drill: bool = False,
    site: str = "",
    when: str = "",
    idempotency_key: str | None = None,
) -> EventOpenResult:
    """Open a school event case for `school` (a School or its id), in one transaction: the case,
    a CaseStudent for every active student of the school (siblings at the school share a family
    number), one timeline entry, the audit entry and one notice per guardian (outbox rows,
    emergency lane, sent on commit) in their language with their check-in link. A drill sends
    the families nothing: one sample notice goes to the opener's email.

    No counselor is assigned and no per-student task is written: at a reunification site the
    desk and accountability are the work. Idempotent: the same Idempotency-Key, or an open
    event case for the same school, gives that case (`created` False). Raises 403 for anyone
    but a lead, DomainError for a school the lead may not see or one with no active student."""
    if not access.can_open_case(actor):
        raise DomainError("Only a crisis lead may open a case.", code="forbidden", status=403)
    school_id = getattr(school, "pk", school)
    if isinstance(school_id, bool) or not isinstance(school_id, int):
        raise DomainError("school: must be a school id.", code="invalid", field="school")
    school = schools_visible_to(actor).filter(pk=school_id).first()
    if school is None:
        raise DomainError(
            f"school: no school with id {school_id}.", code="unknown_school", field="school"
        )
    site = _text(site, field="site", limit=MAX_SITE) or school.name
    when = _text(when, field="when", limit=MAX_SITE)
    if idempotency_key is not None and not (0 < len(idempotency_key) <= 120):
        raise DomainError(
            "Idempotency-Key: from 1 to 120 characters.", code="invalid", field="Idempotency-Key"
        )
    existing = _existing_event(school, idempotency_key)
    if existing is not None:
        if (
            idempotency_key
            and existing.idempotency_key == idempotency_key
            and existing.opened_by_id != actor.pk
        ):
            raise Conflict(
                "Idempotency-Key: already used for another request.",
                code="idempotency_key_reused",
                field="Idempotency-Key",
            )
        return EventOpenResult(
            case=existing,
            created=False,
            notices=[
                Notice(
                    code="event_already_open",
                    message=f"{school.name} already has open case {existing.number}.",
                    case=existing.pk,
                )
            ],
        )
    students = list(
        Student.objects.filter(school=school, active=True).order_by("last_name", "first_name", "pk")
    )
    if not students:
        raise DomainError(
            f"school: {school.name} has no active student.", code="no_students", field="school"
        )
    try:
        return _open_event(
            actor, school, students, drill=drill, site=site, when=when, key=idempotency_key
        )
    except IntegrityError:
        found = _existing_event(school, idempotency_key)
        if found is None:
            raise
        return EventOpenResult(case=found, created=False)


def _existing_event(school: School, key: str | None) -> Case | None:
    if key:
        found = Case.objects.filter(idempotency_key=key).first()
        if found is not None:
            return found
    return (
        Case.objects.open()
        .filter(kind=Case.Kind.SCHOOL_EVENT, school=school)
        .order_by("pk")
        .first()
    )


def _open_event(actor, school, students, *, drill, site, when, key) -> EventOpenResult:
    now = timezone.now()
    ids = [s.pk for s in students]
    links = list(
        StudentContact.objects.guardianships()
        .filter(student__school=school, student__active=True)
        .values_list("person_id", "student_id")
        .order_by("student_id", "person_id")
    )
    families = _families(links, ids)
    number_of = {pk: n for n, family in enumerate(families, start=1) for pk in family}
    with transaction.atomic():
        case = Case.objects.create(
            kind=Case.Kind.SCHOOL_EVENT,
            drill=drill,
            school=school,
            opened_by=actor,
            opened_at=now,
            idempotency_key=key,
        )
        CaseStudent.objects.bulk_create(
            [
                CaseStudent(case=case, student=s, family=number_of[s.pk], identified_at=now)
                for s in students
            ],
            batch_size=500,
        )
        notified, sample = _notify_guardians(case, school, students, links, site=site, when=when)
        TimelineEntry.objects.bulk_create(
            [
                timeline_entry(
                    case=case,
                    action="case.opened",
                    actor=actor,
                    at=now,
                    text=f"{'Drill school event' if drill else 'School event'} opened at "
                    f"{school.name}: {len(students)} student(s); notice to {notified} guardian(s)"
                    + (" (drill: one sample to the opener)" if drill else ""),
                    data={
                        "school": school.pk,
                        "site": site,
                        "when": when,
                        "drill": drill,
                        "guardians_notified": notified,
                        "sample": sample,
                    },
                )
            ]
        )
        audit_record(
            actor=actor,
            action="reunify.case.opened",
            obj=case,
            after={
                "kind": case.kind,
                "drill": drill,
                "school": school.pk,
                "students": len(students),
                "guardians_notified": notified,
            },
        )
    return EventOpenResult(case=case, created=True, notified=notified)


def _notify_guardians(case, school, students, links, *, site, when) -> tuple[int, bool]:
    """One notice per guardian naming their children at this school. Returns (guardians, sent a
    drill sample)."""
    by_pk = {s.pk: s for s in students}
    children: dict[int, list[Student]] = {}
    for person_id, student_id in links:
        children.setdefault(person_id, []).append(by_pk[student_id])
    guardians = Person.objects.filter(pk__in=list(children)).prefetch_related("contact_points")
    built = []
    for guardian in guardians.order_by("pk"):
        names = ", ".join(s.display_name for s in children[guardian.pk])
        message, _ = messages.outgoing(
            case=case,
            person=guardian,
            points=list(guardian.contact_points.all()),
            template_key="reunify.event_notice",
            context={
                "school": school.name,
                "site": site,
                "students": names,
                "when": when or "now",
                "link": checkin_link(case, guardian.pk),
            },
            idempotency_key=f"reunify.case.{case.pk}.notice.{guardian.pk}",
        )
        if message is not None:
            built.append(message)
            if case.drill:
                break  # a drill sends one sample to the opener, never one per family
    if built:
        messages_queue_many(messages=built)
    return len(children), bool(case.drill and built)


# --- check-in ahead ----------------------------------------------------------------------------


def _eta(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ETA_MINUTES:
        raise DomainError(
            f"eta_minutes: a whole number of minutes from 0 to {MAX_ETA_MINUTES}.",
            code="invalid",
            field="eta_minutes",
        )
    return value


def checkin_children(case: Case, person_id: int) -> list[CaseStudent]:
    """The students of the case this adult is a custodial guardian of (what the link offers)."""
    guarded = (
        StudentContact.objects.guardianships().filter(person_id=person_id).values("student_id")
    )
    return list(
        case.students.filter(student_id__in=guarded)
        .select_related("student__school")
        .order_by("student__last_name", "student__first_name", "pk")
    )


def event_checkin(*, token: str, students, eta_minutes) -> EventCheckIn:
    """An adult checks in ahead from the notice's link: which of their children they come for
    and in about how many minutes. A second check-in replaces the first. Proves nothing: the
    desk still checks identity and authorization. Raises DomainError for a bad or expired link,
    a closed case, an empty choice or a child who is not theirs in this case."""
    case_id, person_id = read_checkin_token(token)
    case = Case.objects.filter(pk=case_id).first()
    if case is None or not case.is_open:
        raise Conflict("This reunification has ended.", code="case_closed")
    return _checkin(
        case=case,
        person_id=person_id,
        students=students,
        eta=_eta(eta_minutes),
        source=EventCheckIn.Source.LINK,
        actor=f"portal:person:{person_id}",
    )


def event_checkin_desk(
    *, actor, case: Case, person, students, eta_minutes: int = 0
) -> EventCheckIn:
    """Staff put an arriving adult in the desk's queue."""
    if not access.can_record_release(actor):
        raise DomainError("You may not record releases.", code="forbidden", status=403)
    if not case.is_open:
        raise Conflict(f"Case {case.number} is closed.", code="case_closed")
    person_id = getattr(person, "pk", person)
    if not Person.objects.filter(pk=person_id).exists():
        raise DomainError(
            f"person: no person with id {person_id}.", code="unknown_person", field="person"
        )
    return _checkin(
        case=case,
        person_id=person_id,
        students=students,
        eta=_eta(eta_minutes),
        source=EventCheckIn.Source.DESK,
        actor=actor,
    )


def _checkin(*, case, person_id, students, eta, source, actor) -> EventCheckIn:
    if not isinstance(students, list | tuple) or not students or len(students) > 50:
        raise DomainError(
            "students: choose the children you come for.", code="required", field="students"
        )
    mine = {cs.student_id: cs for cs in checkin_children(case, person_id)}
    chosen = []
    for value in students:
        if isinstance(value, bool) or not isinstance(value, int) or value not in mine:
            raise DomainError(
                "students: each must be one of your children at this school.",
                code="not_your_child",
                field="students",
            )
        if mine[value] not in chosen:
            chosen.append(mine[value])
    now = timezone.now()
    with transaction.atomic():
        checkin, _ = EventCheckIn.objects.update_or_create(
            case=case,
            person_id=person_id,
            defaults={
                "eta_minutes": eta,
                "expected_at": now + timedelta(minutes=eta),
                "source": source,
                "created_at": now,
            },
        )
        checkin.students.set(chosen)
        person = Person.objects.get(pk=person_id)
        timeline_add(
            case=case,
            action="checkin.ahead" if source == EventCheckIn.Source.LINK else "checkin.desk",
            actor=actor,
            at=now,
            text=f"{person.display_name} is coming for "
            f"{', '.join(cs.student.display_name for cs in chosen)} (in about {eta} min)",
            data={"person": person_id, "students": [cs.pk for cs in chosen], "eta": eta},
        )
        audit_record(
            actor=actor,
            action="reunify.checkin.recorded",
            obj=checkin,
            after={"students": [cs.pk for cs in chosen], "eta": eta, "source": source},
        )
    return checkin


# --- accountability ----------------------------------------------------------------------------


def student_account(*, actor, case: Case, student, status: str, note: str = "") -> Accounting:
    """Staff account for a student: present at the site, absent that day (which settles the
    student as absent), with a nurse, transported elsewhere (the note says where). Each is a new
    entry; the newest says where the student is. Raises DomainError for a bad status, a student
    not in the case; Conflict for a closed case or a student already released or placed."""
    if not access.can_record_release(actor):
        raise DomainError("You may not account for students.", code="forbidden", status=403)
    if status not in Accounting.Status.values:
        raise DomainError(
            f"status: must be one of {', '.join(Accounting.Status.values)}.",
            code="invalid_choice",
            field="status",
        )
    note = _text(note, field="note", limit=200)
    if status == Accounting.Status.TRANSPORTED and not note:
        raise DomainError("note: say where the student was taken.", code="required", field="note")
    student_id = getattr(student, "pk", student)
    cs = (
        case_students_visible_to(actor)
        .filter(case=case, student_id=student_id)
        .select_related("student__school", "case")
        .first()
        if isinstance(student_id, int) and not isinstance(student_id, bool)
        else None
    )
    if cs is None:
        raise DomainError(
            "student: this student is not in the case.", code="student_not_in_case", field="student"
        )
    if not case.is_open:
        raise Conflict(f"Case {case.number} is closed.", code="case_closed")
    if cs.settled:
        raise Conflict(
            f"{cs.student.display_name} is already {cs.get_status_display().lower()}.",
            code="student_settled",
            field="student",
        )
    label = Accounting.Status(status).label
    with transaction.atomic():
        entry = Accounting.objects.create(
            case=case,
            case_student=cs,
            status=status,
            note=note,
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        case_student_account(
            actor=actor, case_student=cs, where=f"{label}: {note}"[:120] if note else label
        )
        if status == Accounting.Status.ABSENT:
            case_student_settle(
                actor=actor, case_student=cs, status=CaseStudent.Status.ABSENT, note=note
            )
    return entry


def case_close_checked(*, actor, case: Case, note: str = "") -> Case:
    """Close a case: without a reason only when every student is released, placed or accounted
    for as absent; with students still in the school's care the lead must say why (DomainError
    "reason_required", field "note"). Then services.case_close."""
    if not isinstance(note, str):
        raise DomainError("note: must be text.", code="invalid", field="note")
    if case.is_open and not note.strip() and case.students.unsettled().exists():
        left = case.students.unsettled().count()
        raise DomainError(
            f"note: {left} student(s) are still in the school's care; say why the case closes.",
            code="reason_required",
            field="note",
        )
    return case_close(actor=actor, case=case, note=note.strip())
