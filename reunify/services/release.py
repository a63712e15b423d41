"""Releasing a student: the one service the release screen and the API share, the approvals it
may need, a guardian's one-time code for an adult, and corrections of the record.

Who may take a student (`standing_of`):
- prohibited (a court order or other restriction): never, with no override of any kind; the
  attempt is recorded and the case's lead alerted at once on the emergency lane;
- allowed: linked with pickup allowed, or the standby caregiver of a legal guardian's
  preparedness plan with an affidavit on file that has not expired;
- needs approval: pending review, not allowed, or a standby caregiver whose affidavit expired
  (the guardian is asked to renew it): a crisis lead's written override or a legal guardian's
  one-time code;
- on no list: only a legal guardian's one-time code or a lead's override.

Identity is recorded as HOW it was confirmed (any government photo ID of any country is
"photo_id"), never the document. "no_photo_id" needs a lead's approval and how identity was
established. A student's "no" to "are you comfortable going with this adult?" holds the release
until the lead confirms, with a note, that the counselor and the lead talked with the student.

Every refusal that concerns the adult (prohibited, needs approval, not authorized, held, a wrong
code) is itself recorded on the timeline and in the audit log and committed before the error is
raised; bad input is refused before anything is written. Call these services outside a
transaction: a refusal raised into a caller's transaction would roll its record back.
"""

import base64
import binascii
import logging
import re
import struct
from dataclasses import dataclass, replace
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from alerts.models import Fallback, Message
from alerts.registry import Reply
from alerts.services import messages_queue_many
from contacts.models import ContactPoint, Person, Student, StudentContact
from contacts.portal.lib import keyed_hash, new_code, same
from contacts.portal.models import PreparednessPlan
from contacts.portal.services import affidavit_is_stale
from privacy.errors import Conflict, DomainError
from privacy.minimisation import forbidden_keys
from privacy.models import DisclosureBasis
from privacy.roles import Role, has_role
from privacy.services import audit_record, disclosure_record

from .. import access, messages, release_conf
from ..messages_release import RELEASE_CODE_FLOW, staff_email
from ..models import (
    Authorization,
    Case,
    CaseStudent,
    Identity,
    IdentityEstablished,
    Release,
    ReleaseApproval,
    ReleaseCode,
    ReleaseCorrection,
    Task,
)
from ..selectors import case_students_visible_to
from .cases import case_student_settle
from .common import display_name, timeline_add

logger = logging.getLogger(__name__)

Pickup = StudentContact.Pickup

# A tablet's signature as a PNG data URL: at most this many bytes once decoded.
SIGNATURE_MAX_BYTES = 150_000
SIGNATURE_MAX_SIDE = 4000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DATA_URL_PREFIX = "data:image/png;base64,"
_INITIALS = re.compile(r"^[^\W\d_][^\W\d_.\- ]{0,3}(?:[.\- ]?[^\W\d_]){0,6}\.?$")
_CODE = re.compile(r"^\d{6}$")
_CODE_IN_TEXT = re.compile(r"(?<!\d)(\d{6})(?!\d)")
MAX_NAME = 200
MAX_REASON = 500


class Standing:
    """What an adult is to a student, for a release."""

    ALLOWED = "allowed"
    NEEDS_APPROVAL = "needs_approval"
    UNLISTED = "unlisted"
    PROHIBITED = "prohibited"


@dataclass(frozen=True)
class AdultStanding:
    standing: str
    # The adult's pickup status on the student's link ("" when not linked).
    pickup_status: str
    authorization: str  # for ALLOWED: allowed or standby_caregiver
    reason: str  # what the desk is told ("pending review", "affidavit expired")
    # A plan whose affidavit expired: its guardian is asked to renew it.
    renew_plan: PreparednessPlan | None = None


@dataclass
class ReleaseResult:
    release: Release
    created: bool


@dataclass
class _Refusal:
    error: DomainError


def standing_of(link_status: str | None, plans: list[PreparednessPlan]) -> AdultStanding:
    """An adult's standing for one student from their link's pickup status (None: not linked)
    and the preparedness plans of the student's legal guardians naming them as standby
    caregiver. Pure."""
    status = link_status or ""
    if link_status == Pickup.PROHIBITED:
        return AdultStanding(Standing.PROHIBITED, status, "", "do not release")
    if link_status == Pickup.ALLOWED:
        return AdultStanding(Standing.ALLOWED, status, Authorization.ALLOWED, "pickup allowed")
    with_affidavit = [p for p in plans if p.affidavit_on_file]
    if any(not affidavit_is_stale(p) for p in with_affidavit):
        return AdultStanding(
            Standing.ALLOWED, status, Authorization.STANDBY_CAREGIVER, "standby caregiver"
        )
    if with_affidavit:
        return AdultStanding(
            Standing.NEEDS_APPROVAL,
            status,
            "",
            "standby caregiver whose affidavit has expired",
            renew_plan=with_affidavit[0],
        )
    if plans:
        return AdultStanding(
            Standing.NEEDS_APPROVAL, status, "", "standby caregiver with no affidavit on file"
        )
    if link_status == Pickup.PENDING:
        return AdultStanding(Standing.NEEDS_APPROVAL, status, "", "pickup pending review")
    if link_status == Pickup.NOT_ALLOWED:
        return AdultStanding(Standing.NEEDS_APPROVAL, status, "", "not a pickup adult")
    return AdultStanding(Standing.UNLISTED, status, "", "on no list")


def adult_standing(student_id: int, person_id: int | None) -> AdultStanding:
    """standing_of for one student and one adult on file (two queries); None: a name only."""
    if person_id is None:
        return standing_of(None, [])
    link = (
        StudentContact.objects.filter(student_id=student_id, person_id=person_id)
        .values_list("pickup_status", flat=True)
        .first()
    )
    guardians = StudentContact.objects.guardianships().filter(student_id=student_id)
    plans = list(
        PreparednessPlan.objects.filter(
            guardian_id__in=guardians.values("person_id"), standby_caregiver_id=person_id
        ).order_by("pk")
    )
    return standing_of(link, plans)


def normal_name(name: str) -> str:
    return " ".join((name or "").split()).casefold()


def _same_adult(row, person_id: int | None, name: str) -> bool:
    if person_id is not None or row.person_id is not None:
        return row.person_id == person_id
    return normal_name(row.adult_name) == normal_name(name)


# --- input checks (nothing written) ------------------------------------------------------------


def _text(value, *, field: str, required: bool, limit: int) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DomainError(f"{field}: must be text.", code="invalid", field=field)
    value = value.strip()
    if "\x00" in value:
        raise DomainError(f"{field}: null characters are not allowed.", code="invalid", field=field)
    if required and not value:
        raise DomainError(f"{field}: may not be empty.", code="required", field=field)
    if len(value) > limit:
        raise DomainError(f"{field}: at most {limit} characters.", code="too_long", field=field)
    return value


def _reason(value, *, field: str) -> str | None:
    """None when not given; an empty or blank reason is refused (an override needs one)."""
    if value is None:
        return None
    return _text(value, field=field, required=True, limit=MAX_REASON)


def check_signature(image: str | None, initials: str | None) -> tuple[str, str]:
    """A PNG data URL drawn on the tablet (at most SIGNATURE_MAX_BYTES, a real PNG header) or
    typed initials (letters, up to 12 characters). Returns (image, initials)."""
    image = image or ""
    initials = _text(initials, field="signature_initials", required=False, limit=12)
    if not isinstance(image, str):
        raise DomainError("signature: must be a data URL.", code="invalid", field="signature")
    if not image and not initials:
        raise DomainError(
            "signature: the adult signs on the screen, or types their initials.",
            code="required",
            field="signature",
        )
    if initials and not _INITIALS.match(initials):
        raise DomainError(
            "signature_initials: letters only (for example 'R.D.').",
            code="invalid",
            field="signature_initials",
        )
    if image:
        if not image.startswith(DATA_URL_PREFIX):
            raise DomainError(
                "signature: must be a PNG image as a data URL (data:image/png;base64,...).",
                code="invalid_signature",
                field="signature",
            )
        encoded = image[len(DATA_URL_PREFIX) :]
        if len(encoded) > SIGNATURE_MAX_BYTES * 4 // 3 + 4:
            raise DomainError(
                f"signature: the image is larger than {SIGNATURE_MAX_BYTES // 1000} kB.",
                code="signature_too_large",
                field="signature",
            )
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DomainError(
                "signature: the image is not valid base64.",
                code="invalid_signature",
                field="signature",
            ) from exc
        if len(raw) < 33 or not raw.startswith(PNG_MAGIC) or raw[12:16] != b"IHDR":
            raise DomainError(
                "signature: not a PNG image.", code="invalid_signature", field="signature"
            )
        width, height = struct.unpack(">II", raw[16:24])
        if not (0 < width <= SIGNATURE_MAX_SIDE and 0 < height <= SIGNATURE_MAX_SIDE):
            raise DomainError(
                "signature: the image has an impossible size.",
                code="invalid_signature",
                field="signature",
            )
    return image, initials


def _choice(value, choices, *, field: str, required: bool = True) -> str:
    if value in (None, "") and not required:
        return ""
    if not isinstance(value, str) or value not in choices:
        raise DomainError(
            f"{field}: must be one of {', '.join(choices)}.", code="invalid_choice", field=field
        )
    return value


def _id(value, *, field: str, required: bool = True) -> int | None:
    if value is None and not required:
        return None
    pk = getattr(value, "pk", value)
    if isinstance(pk, bool) or not isinstance(pk, int) or not (1 <= pk <= 2**63 - 1):
        raise DomainError(f"{field}: must be an id.", code="invalid", field=field)
    return pk


def _key(value) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 120:
        raise DomainError(
            "Idempotency-Key: from 1 to 120 characters.", code="invalid", field="Idempotency-Key"
        )
    return value


def _open_case(case: Case) -> None:
    if not Case.objects.filter(pk=case.pk, status=Case.Status.OPEN).exists():
        raise Conflict(f"Case {case.number} is closed.", code="case_closed")


def _case_student(actor, case: Case, student_id: int) -> CaseStudent:
    cs = (
        case_students_visible_to(actor)
        .filter(case=case, student_id=student_id)
        .select_related("student__school", "counselor")
        .first()
    )
    if cs is None:
        raise DomainError(
            "student: this student is not in the case.",
            code="student_not_in_case",
            field="student",
        )
    return cs


def _person(person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise DomainError(
            f"person: no person with id {person_id}.", code="unknown_person", field="person"
        )
    return person


def _adult(person, adult_name, *, required: bool = True) -> tuple[Person | None, str]:
    person = _person(_id(person, field="person", required=False))
    name = _text(adult_name, field="adult_name", required=False, limit=MAX_NAME)
    if person is not None and name:
        raise DomainError(
            "adult_name: give the person on file or the name of an unlisted adult, not both.",
            code="invalid",
            field="adult_name",
        )
    if required and person is None and not name:
        raise DomainError(
            "person: who takes the student (a person on file, or an unlisted adult's name).",
            code="required",
            field="person",
        )
    return person, (person.display_name if person is not None else name)


# --- approvals ---------------------------------------------------------------------------------


def _approval(cs: CaseStudent, kind: str, person_id: int | None, name: str):
    rows = ReleaseApproval.objects.filter(case_student=cs, kind=kind).order_by("-approved_at")
    return next(
        (row for row in rows if kind == "self_release" or _same_adult(row, person_id, name)), None
    )


def _approve(*, actor, cs: CaseStudent, kind: str, person, name: str, reason: str, now):
    approval = ReleaseApproval.objects.create(
        case=cs.case,
        case_student=cs,
        kind=kind,
        person=person,
        adult_name="" if person is not None else name,
        reason=reason,
        approved_by=actor,
        approved_at=now,
    )
    label = ReleaseApproval.Kind(kind).label
    whom = f" for {name}" if name else ""
    timeline_add(
        case=cs.case,
        case_student=cs,
        action="release.approved",
        actor=actor,
        at=now,
        text=f"{label}{whom} approved by {display_name(actor)} for "
        f"{cs.student.display_name}: {reason}",
        data={"approval": approval.pk, "kind": kind, "person": getattr(person, "pk", None)},
    )
    audit_record(
        actor=actor,
        action=f"reunify.release.approved.{kind}",
        obj=approval,
        after={"case_student": cs.pk, "person": getattr(person, "pk", None), "reason": reason},
    )
    return approval


def release_approve(
    *,
    actor,
    case: Case,
    student,
    kind: str,
    reason: str,
    person=None,
    adult_name: str = "",
) -> ReleaseApproval:
    """A crisis lead approves ahead what a release will need: an override of the pickup list for
    an adult, a release without photo ID, a release after the student's "no" was talked through
    (the note), or (a lead or the school's staff) an older student leaving alone. The desk's
    release then finds it. Never for a prohibited adult: that is refused, recorded and alerted
    like a release attempt (Conflict "release_prohibited"). Raises 403 for anyone else,
    DomainError for bad input, Conflict for a closed case."""
    kind = _choice(kind, ReleaseApproval.Kind.values, field="kind")
    allowed = (
        _may_approve_self_release(actor)
        if kind == ReleaseApproval.Kind.SELF_RELEASE
        else access.can_override(actor)
    )
    if not allowed:
        raise DomainError("Only a crisis lead may approve this.", code="forbidden", status=403)
    reason = _text(reason, field="reason", required=True, limit=MAX_REASON)
    student_id = _id(student, field="student")
    person, name = _adult(person, adult_name, required=kind != ReleaseApproval.Kind.SELF_RELEASE)
    _open_case(case)
    cs = _case_student(actor, case, student_id)
    outcome = None
    with transaction.atomic():
        cs = _locked(cs)
        standing = adult_standing(cs.student_id, getattr(person, "pk", None))
        if person is not None and standing.standing == Standing.PROHIBITED:
            outcome = _refuse_prohibited(actor=actor, cs=cs, person=person, now=timezone.now())
        else:
            outcome = _approve(
                actor=actor,
                cs=cs,
                kind=kind,
                person=person,
                name=name,
                reason=reason,
                now=timezone.now(),
            )
    if isinstance(outcome, _Refusal):
        raise outcome.error
    return outcome


def _may_approve_self_release(actor) -> bool:
    return access.can_override(actor) or has_role(actor, Role.SCHOOL_STAFF)


# --- refusals (recorded, then raised after commit) -----------------------------------------------


def _refuse(
    *,
    actor,
    cs: CaseStudent,
    code: str,
    message: str,
    adult: str,
    person_id,
    field: str,
    now,
    action: str = "release.refused",
) -> _Refusal:
    timeline_add(
        case=cs.case,
        case_student=cs,
        action=action,
        actor=actor,
        at=now,
        text=f"Release of {cs.student.display_name} to {adult or 'the student alone'} refused: "
        f"{message}",
        data={"code": code, "person": person_id, "adult": adult, "reason": message},
    )
    audit_record(
        actor=actor,
        action=f"reunify.{action}",
        obj=cs,
        after={"code": code, "person": person_id, "adult": adult, "reason": message},
    )
    status = 400 if code in ("code_wrong",) else 409
    kind = DomainError if status == 400 else Conflict
    return _Refusal(kind(message, code=code, field=field, status=status, extra={"adult": adult}))


def _refuse_prohibited(*, actor, cs: CaseStudent, person: Person, now) -> _Refusal:
    """Record the attempt and alert the case's lead at once (emergency lane). Never overridable."""
    school = cs.student.school.name
    text = (
        f"A release to a do-not-release adult was attempted for {cs.student.display_name} at "
        f"{school}"
    )
    timeline_add(
        case=cs.case,
        case_student=cs,
        action="release.prohibited_attempt",
        actor=actor,
        at=now,
        text=f"{text} (do not release to: {person.display_name})",
        data={
            "code": "release_prohibited",
            "person": person.pk,
            "adult": person.display_name,
            "reason": "do not release to this adult",
        },
    )
    audit_record(
        actor=actor,
        action="reunify.release.prohibited_attempt",
        obj=cs,
        after={"person": person.pk, "by": getattr(actor, "pk", None)},
    )
    attempts = cs.timeline.filter(action="release.prohibited_attempt").count()
    alert = staff_email(
        case=cs.case,
        user=cs.case.opened_by,
        template_key="reunify.prohibited_attempt",
        context={"student": cs.student.display_name, "school": school},
        idempotency_key=f"reunify.cs.{cs.pk}.prohibited.{person.pk}.{attempts}",
    )
    if alert is not None:
        messages_queue_many(messages=[alert])
    return _Refusal(
        Conflict(
            f"Do not release to {person.display_name}: this adult may never take "
            f"{cs.student.display_name}. The crisis lead has been alerted.",
            code="release_prohibited",
            field="person",
        )
    )


def release_refuse_prohibited(*, actor, case: Case, student, person) -> None:
    """The desk turns away a do-not-release adult who came for a student: the attempt is
    recorded on the timeline and in the audit log, and the crisis lead is alerted at once, as a
    release attempt would be. Raises DomainError "not_prohibited" (nothing written) when the
    adult is not on the student's do-not-release list, "student_not_in_case", "unknown_person";
    Conflict "case_closed"."""
    if not access.can_record_release(actor):
        raise DomainError("You may not record releases.", code="forbidden", status=403)
    student_id = _id(student, field="student")
    found = _person(_id(person, field="person"))
    _open_case(case)
    cs = _case_student(actor, case, student_id)
    with transaction.atomic():
        cs = _locked(cs)
        if adult_standing(cs.student_id, found.pk).standing != Standing.PROHIBITED:
            raise DomainError(
                "person: this adult is not on the student's do-not-release list.",
                code="not_prohibited",
                field="person",
            )
        _refuse_prohibited(actor=actor, cs=cs, person=found, now=timezone.now())


# --- guardian's one-time code ------------------------------------------------------------------


def _code_hash(case_id: int, guardian_id: int, code: str) -> str:
    return keyed_hash("reunify.release_code", str(case_id), str(guardian_id), code)


def _codes_for(cs: CaseStudent, person_id: int | None, name: str) -> list[ReleaseCode]:
    rows = ReleaseCode.objects.filter(case=cs.case, students=cs).order_by("-created_at", "-id")
    return [row for row in rows if _same_adult(row, person_id, name)]


def _check_code(row: ReleaseCode, code: str, *, via: str, now) -> str:
    """Try `code` against an open code row: "ok", "wrong", "locked", "expired" or "used". A wrong
    code counts an attempt (a conditional update), also when the caller then refuses."""
    if row.confirmed_at is not None:
        return (
            "ok" if same(row.code_hash, _code_hash(row.case_id, row.guardian_id, code)) else "used"
        )
    if row.declined_at is not None or row.attempts >= release_conf.CODE_ATTEMPTS:
        return "locked"
    if row.expires_at <= now:
        return "expired"
    if same(row.code_hash, _code_hash(row.case_id, row.guardian_id, code)):
        done = ReleaseCode.objects.filter(
            pk=row.pk, confirmed_at__isnull=True, attempts__lt=release_conf.CODE_ATTEMPTS
        ).update(confirmed_at=now, confirmed_via=via)
        if done:
            row.confirmed_at, row.confirmed_via = now, via
            return "ok"
        return "used"
    ReleaseCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
    row.attempts += 1
    return "locked" if row.attempts >= release_conf.CODE_ATTEMPTS else "wrong"


CODE_ERRORS = {
    "wrong": ("code_wrong", "guardian_code: the code is wrong ({left} tries left)."),
    "locked": (
        "code_locked",
        "guardian_code: too many wrong tries; ask the guardian for a new code.",
    ),
    "expired": ("code_expired", "guardian_code: the code has expired; ask for a new one."),
    "used": ("code_used", "guardian_code: this code was already used."),
    "none": ("code_wrong", "guardian_code: no code was requested for this adult and student."),
}


def _code_outcome(cs, person_id, name, code: str | None, *, now) -> tuple[ReleaseCode | None, str]:
    """The guardian's code that authorizes this adult for this student: one entered now (checked
    and counted), or one confirmed earlier (by SMS or at the desk). ("", row) when fine."""
    rows = _codes_for(cs, person_id, name)
    if code is None:
        confirmed = next((r for r in rows if r.confirmed_at is not None), None)
        return confirmed, "" if confirmed else "none"
    for row in rows:
        if row.confirmed_at is not None and _check_code(row, code, via="staff", now=now) == "ok":
            return row, ""
    open_rows = [r for r in rows if r.confirmed_at is None]
    if not open_rows:
        return None, "used" if rows else "none"
    result = _check_code(open_rows[0], code, via=ReleaseCode.Via.STAFF, now=now)
    return (open_rows[0], "") if result == "ok" else (open_rows[0], result)


def _guardian_phone(guardian: Person, contact_point_id: int | None) -> ContactPoint | None:
    points = [
        p
        for p in guardian.contact_points.all()
        if p.kind == ContactPoint.Kind.PHONE and p.sms_capable and p.reachable
    ]
    if contact_point_id is not None:
        return next((p for p in points if p.pk == contact_point_id), None)
    return points[0] if points else None


def release_code_request(
    *,
    actor,
    case: Case,
    student,
    guardian,
    person=None,
    adult_name: str = "",
    contact_point=None,
) -> ReleaseCode:
    """Ask a legal guardian of the student to authorize an adult for this case: a 6-digit code
    and the adult's name go by SMS to a phone of the guardian already on file (never a number
    typed at the desk; in a drill, to the opener's email). The code covers every student of the
    case the guardian is a legal guardian of, is stored only as a keyed hash, and expires after
    REUNIFY_RELEASE_CODE_MINUTES (30). Raises DomainError for a guardian who is not the student's
    legal guardian or has no SMS phone on file; Conflict "release_prohibited" (recorded and
    alerted) for a do-not-release adult, "case_closed"."""
    if not access.can_record_release(actor):
        raise DomainError("You may not record releases.", code="forbidden", status=403)
    student_id = _id(student, field="student")
    guardian_id = _id(guardian, field="guardian")
    point_id = _id(contact_point, field="contact_point", required=False)
    person, name = _adult(person, adult_name)
    _open_case(case)
    cs = _case_student(actor, case, student_id)
    links = StudentContact.objects.guardianships().filter(person_id=guardian_id)
    if not links.filter(student_id=cs.student_id).exists():
        raise DomainError(
            "guardian: not a legal guardian of this student.",
            code="not_a_guardian",
            field="guardian",
        )
    if person is not None and person.pk == guardian_id:
        raise DomainError(
            "person: the guardian cannot authorize themselves.", code="invalid", field="person"
        )
    guardian_person = Person.objects.prefetch_related("contact_points").get(pk=guardian_id)
    phone = _guardian_phone(guardian_person, point_id)
    if phone is None and not case.drill:
        raise DomainError(
            "guardian: no phone of this guardian on file takes text messages.",
            code="no_phone_on_file",
            field="contact_point" if point_id else "guardian",
        )
    now = timezone.now()
    lifetime = release_conf.code_lifetime()
    code = new_code()
    outcome = None
    with transaction.atomic():
        cs = _locked(cs)
        standing = adult_standing(cs.student_id, getattr(person, "pk", None))
        if standing.standing == Standing.PROHIBITED:
            outcome = _refuse_prohibited(actor=actor, cs=cs, person=person, now=now)
        else:
            covered = list(
                case.students.filter(student_id__in=links.values("student_id")).select_related(
                    "student__school"
                )
            )
            row = ReleaseCode.objects.create(
                case=case,
                guardian=guardian_person,
                contact_point=phone,
                person=person,
                adult_name=name,
                code_hash=_code_hash(case.pk, guardian_id, code),
                requested_by=actor,
                created_at=now,
                expires_at=now + lifetime,
            )
            row.students.set(covered)
            message, channel = messages.outgoing(
                case=case,
                person=guardian_person,
                points=[phone] if phone is not None else [],
                template_key="reunify.release_code",
                context={
                    "adult": name,
                    "students": ", ".join(c.student.display_name for c in covered),
                    "school": cs.student.school.name,
                    "code": code,
                    "minutes": int(lifetime.total_seconds() // 60),
                },
                idempotency_key=f"reunify.release_code.{row.pk}",
                reply_flow=RELEASE_CODE_FLOW,
                fallback_context={"release_code_id": row.pk},
            )
            if message is not None:
                # Only ever the phone on file: no fallback to another channel or person.
                message = replace(message, fallback=Fallback.NONE)
                messages_queue_many(messages=[message])
                row.message_id = (
                    Message.objects.filter(idempotency_key=message.idempotency_key)
                    .values_list("pk", flat=True)
                    .first()
                )
                row.save(update_fields=["message_id"])
            timeline_add(
                case=case,
                case_student=cs,
                action="release.code_requested",
                actor=actor,
                at=now,
                text=f"{guardian_person.display_name} asked by {channel or 'nothing'} to "
                f"authorize {name} for {', '.join(c.student.display_name for c in covered)}",
                data={
                    "release_code": row.pk,
                    "guardian": guardian_id,
                    "person": getattr(person, "pk", None),
                    "adult": name,
                },
            )
            audit_record(
                actor=actor,
                action="reunify.release.code_requested",
                obj=row,
                after={
                    "guardian": guardian_id,
                    "person": getattr(person, "pk", None),
                    "adult": name,
                    "students": [c.pk for c in covered],
                },
            )
            outcome = row
    if isinstance(outcome, _Refusal):
        raise outcome.error
    return outcome


def release_code_verify(*, actor, release_code: ReleaseCode, code) -> ReleaseCode:
    """The guardian told staff the code: check it (single use; a wrong try counts, 5 lock it;
    30 minutes). The counted try is committed before a wrong code is refused. Raises
    DomainError "code_wrong" (400), Conflict "code_locked", "code_expired", "code_used"."""
    if not access.can_record_release(actor):
        raise DomainError("You may not record releases.", code="forbidden", status=403)
    code = _text(code, field="code", required=True, limit=6)
    if not _CODE.match(code):
        raise DomainError("code: six digits.", code="invalid", field="code")
    _open_case(release_code.case)
    now = timezone.now()
    with transaction.atomic():
        row = ReleaseCode.objects.select_for_update().get(pk=release_code.pk)
        result = _check_code(row, code, via=ReleaseCode.Via.STAFF, now=now)
        if (
            result == "ok"
            and row.confirmed_via == ReleaseCode.Via.STAFF
            and row.confirmed_at == now
        ):
            _code_confirmed(row, actor=actor, now=now)
        elif result == "ok":
            result = "used"
    if result != "ok":
        raise _code_error(result, row)
    return row


def _code_error(result: str, row: ReleaseCode | None) -> DomainError:
    code, text = CODE_ERRORS[result]
    left = release_conf.CODE_ATTEMPTS - (row.attempts if row else 0)
    kind = DomainError if code == "code_wrong" else Conflict
    return kind(text.format(left=left), code=code, field="guardian_code")


def _code_confirmed(row: ReleaseCode, *, actor, now) -> None:
    via = ReleaseCode.Via(row.confirmed_via).label.lower()
    timeline_add(
        case=row.case,
        action="release.code_confirmed",
        actor=actor,
        at=now,
        text=f"{row.guardian.display_name} authorized {row.adult_name} ({via})",
        data={"release_code": row.pk, "via": row.confirmed_via},
    )
    audit_record(
        actor=actor,
        action="reunify.release.code_confirmed",
        obj=row,
        after={"via": row.confirmed_via, "adult": row.adult_name},
    )


def release_code_reply(reply: Reply) -> None:
    """alerts' reply handler for "reunify.release_code" (inside the webhook's transaction): YES
    with the code confirms it; NO declines it; a wrong code counts a try. Never raises for what
    the guardian wrote."""
    row_id = _code_of_message(reply.message_id)
    if row_id is None:
        return
    now = timezone.now()
    row = (
        ReleaseCode.objects.select_for_update()
        .select_related("guardian", "case")
        .filter(pk=row_id)
        .first()
    )
    if row is None or not row.case.is_open:
        return
    found = _CODE_IN_TEXT.search(reply.text or "")
    if reply.negative and found is None:
        if row.confirmed_at is None and row.declined_at is None:
            ReleaseCode.objects.filter(pk=row.pk, confirmed_at__isnull=True).update(declined_at=now)
            timeline_add(
                case=row.case,
                action="release.code_declined",
                actor="reply",
                at=now,
                text=f"{row.guardian.display_name} did not authorize {row.adult_name}",
                data={"release_code": row.pk},
            )
        return
    if not (reply.affirmative and found):
        timeline_add(
            case=row.case,
            action="release.code_unclear",
            actor="reply",
            at=now,
            text=f"{row.guardian.display_name} replied without YES and the code: call them",
            data={"release_code": row.pk},
        )
        return
    result = _check_code(row, found.group(1), via=ReleaseCode.Via.SMS, now=now)
    if result == "ok" and row.confirmed_at == now:
        _code_confirmed(row, actor="reply", now=now)
    elif result != "ok":
        timeline_add(
            case=row.case,
            action="release.code_failed",
            actor="reply",
            at=now,
            text=f"{row.guardian.display_name} replied with a code that did not work ({result})",
            data={"release_code": row.pk, "result": result},
        )


def _code_of_message(message_id: int) -> int | None:
    context = (
        Message.objects.filter(pk=message_id).values_list("fallback_context", flat=True).first()
    )
    return (context or {}).get("release_code_id")


# --- the release -------------------------------------------------------------------------------


def _locked(cs: CaseStudent) -> CaseStudent:
    """The case student's row, locked (two desks cannot release one child), with what a release
    reads."""
    return (
        CaseStudent.objects.select_for_update(of=("self",))
        .select_related("student__school", "case__opened_by", "counselor")
        .get(pk=cs.pk)
    )


def _grade_number(grade: str) -> int | None:
    digits = (grade or "").strip().lstrip("0") or ("0" if (grade or "").strip() else "")
    return int(digits) if digits.isdigit() else None


def _self_release_refusal(case: Case, student: Student) -> str:
    """Why this student may not leave alone ("" when they may)."""
    from_grade = release_conf.self_release_grade()
    if from_grade is None:
        return "students do not leave on their own in this district."
    if case.kind != Case.Kind.SCHOOL_EVENT:
        return "a student leaves on their own only during a school event."
    grade = _grade_number(student.grade)
    if grade is None or grade < from_grade:
        return f"only students from grade {from_grade} may leave on their own."
    return ""


def _existing_release(cs: CaseStudent):
    return (
        Release.objects.select_related("person", "handed_over_by").filter(case_student=cs).first()
    )


def _already_released(release: Release) -> Conflict:
    at = timezone.localtime(release.handed_over_at).strftime("%Y-%m-%d %H:%M")
    return Conflict(
        f"Already released to {release.taken_by} at {at} by {display_name(release.handed_over_by)}.",
        code="already_released",
        field="student",
        extra={
            "released_to": release.taken_by,
            "released_at": release.handed_over_at.isoformat(),
            "release": release.pk,
        },
    )


def student_release(
    *,
    actor,
    case: Case,
    student,
    person=None,
    adult_name: str = "",
    identity: str | None = None,
    identity_established: str = "",
    student_comfortable,
    override_reason: str | None = None,
    guardian_code: str | None = None,
    hold_note: str | None = None,
    self_release: bool = False,
    approval_note: str | None = None,
    signature_image: str = "",
    signature_initials: str = "",
    checked_in_by=None,
    idempotency_key: str | None = None,
) -> ReleaseResult:
    """Release `student` (a Student or its id) of `case` to an adult (`person`, on file, or an
    unlisted adult's `adult_name`), or, with `self_release`, let an older student leave a school
    event alone. The one service behind the release screen and the API.

    Locks the CaseStudent row (select_for_update), so two desks cannot release one child; a
    conditional unique constraint backs it. Idempotent: the same Idempotency-Key, or the same
    student and adult again, give the first release (`created` False). On success, in one
    transaction: the Release (who checked the adult in, who verified identity and how, who
    approved what and why, the student's answer, the signature, who handed over and when), the
    "release" task done, the student settled as released (their other tasks cancelled, the case
    closed when it was the last), the other guardians (never prohibited adults) and the
    counselor told (outbox), timeline, audit, and the FERPA disclosure hook.

    Raises DomainError (400) for bad input ("student_not_in_case", "unknown_person", a bad
    identity, an empty override reason, a bad signature, "code_wrong") and Conflict (409):
    "release_prohibited" (never overridable; recorded, the lead alerted), "release_needs_approval"
    (pending review, not allowed, expired affidavit, no photo ID), "release_not_authorized" (on no
    list, or a student who may not leave alone), "release_held" (the student said no),
    "already_released" (naming who took them and when), "case_closed", "code_locked",
    "code_expired", "code_used", "idempotency_key_reused". 403 for an override by anyone but a
    crisis lead."""
    if not access.can_record_release(actor):
        raise DomainError("You may not record releases.", code="forbidden", status=403)
    student_id = _id(student, field="student")
    self_release = bool(self_release)
    if self_release:
        if person is not None or adult_name:
            raise DomainError(
                "person: a student leaving on their own is released to nobody.",
                code="invalid",
                field="person",
            )
        person, name = None, ""
        identity = _choice(identity, Identity.values, field="identity", required=False)
    else:
        person, name = _adult(person, adult_name)
        identity = _choice(identity, Identity.values, field="identity")
    if identity == Identity.NO_PHOTO_ID:
        established = _choice(
            identity_established, IdentityEstablished.values, field="identity_established"
        )
    elif identity_established:
        raise DomainError(
            "identity_established: only with no_photo_id.",
            code="invalid",
            field="identity_established",
        )
    else:
        established = ""
    if not isinstance(student_comfortable, bool):
        raise DomainError(
            "student_comfortable: true or false (the student's own answer).",
            code="required",
            field="student_comfortable",
        )
    override_reason = _reason(override_reason, field="override_reason")
    hold_note = _reason(hold_note, field="hold_note")
    approval_note = _reason(approval_note, field="approval_note")
    lead = access.can_override(actor)
    if (override_reason or hold_note) and not lead:
        raise DomainError(
            "Only a crisis lead may override or confirm a held release.",
            code="forbidden",
            status=403,
            field="override_reason" if override_reason else "hold_note",
        )
    if approval_note and not _may_approve_self_release(actor):
        raise DomainError(
            "Only a crisis lead or the school's staff may approve a student leaving alone.",
            code="forbidden",
            status=403,
            field="approval_note",
        )
    if guardian_code is not None:
        guardian_code = _text(guardian_code, field="guardian_code", required=True, limit=6)
        if not _CODE.match(guardian_code):
            raise DomainError("guardian_code: six digits.", code="invalid", field="guardian_code")
    image, initials = check_signature(signature_image, signature_initials)
    key = _key(idempotency_key)
    checker = _checker(actor, checked_in_by)
    person_id = getattr(person, "pk", None)

    if key:
        replay = Release.objects.filter(idempotency_key=key).select_related("case_student").first()
        if replay is not None:
            if (
                replay.case_student.student_id == student_id
                and replay.case_id == case.pk
                and (self_release or _same_adult(replay, person_id, name))
            ):
                return ReleaseResult(replay, created=False)
            raise Conflict(
                "Idempotency-Key: already used for another release.",
                code="idempotency_key_reused",
                field="Idempotency-Key",
            )
    _open_case(case)
    cs = _case_student(actor, case, student_id)
    args = dict(
        actor=actor,
        person=person,
        name=name,
        identity=identity,
        established=established,
        comfortable=student_comfortable,
        override_reason=override_reason,
        code=guardian_code,
        hold_note=hold_note,
        self_release=self_release,
        approval_note=approval_note,
        image=image,
        initials=initials,
        checker=checker,
        key=key,
    )
    try:
        with transaction.atomic():
            outcome = _release_locked(cs, **args)
    except IntegrityError:
        # A concurrent release of the same key or student committed first (constraints).
        found = _existing_release(cs)
        if found is None:
            raise
        if _same_adult(found, person_id, name):
            return ReleaseResult(found, created=False)
        raise _already_released(found) from None
    if isinstance(outcome, _Refusal):
        raise outcome.error
    return outcome


def _checker(actor, checked_in_by):
    """Who checked the adult in: a staff member named by id, else the actor."""
    if checked_in_by is None:
        return actor
    pk = _id(checked_in_by, field="checked_in_by")
    user = get_user_model().objects.filter(pk=pk, is_active=True).first()
    if user is None or not access.can_record_release(user):
        raise DomainError(
            "checked_in_by: no staff member with this id.", code="invalid", field="checked_in_by"
        )
    return user


def _release_locked(
    cs,
    *,
    actor,
    person,
    name,
    identity,
    established,
    comfortable,
    override_reason,
    code,
    hold_note,
    self_release,
    approval_note,
    image,
    initials,
    checker,
    key,
):
    now = timezone.now()
    cs = _locked(cs)
    case = cs.case
    if case.status != Case.Status.OPEN:
        raise Conflict(f"Case {case.number} is closed.", code="case_closed")
    person_id = getattr(person, "pk", None)
    existing = _existing_release(cs)
    if existing is not None:
        if (
            self_release == (existing.authorization == Authorization.SELF_RELEASE)
            and (self_release or _same_adult(existing, person_id, name))
            and (key is None or existing.idempotency_key in (None, key))
        ):
            return ReleaseResult(existing, created=False)
        raise _already_released(existing)
    if cs.settled:
        raise Conflict(
            f"{cs.student.display_name} is no longer in the school's care "
            f"({cs.get_status_display().lower()}).",
            code="student_settled",
            field="student",
        )
    refuse = dict(actor=actor, cs=cs, adult=name, person_id=person_id, now=now)

    # Who may take the student.
    override = code_row = self_approval = None
    if self_release:
        standing = AdultStanding(Standing.ALLOWED, "", Authorization.SELF_RELEASE, "self-release")
        why_not = _self_release_refusal(case, cs.student)
        if why_not:
            return _refuse(
                code="release_not_authorized", message=why_not, field="self_release", **refuse
            )
        self_approval = _approval(cs, ReleaseApproval.Kind.SELF_RELEASE, None, "")
        if self_approval is None and approval_note:
            self_approval = _approve(
                actor=actor,
                cs=cs,
                kind=ReleaseApproval.Kind.SELF_RELEASE,
                person=None,
                name="",
                reason=approval_note,
                now=now,
            )
        if self_approval is None:
            return _refuse(
                code="release_needs_approval",
                message="a student leaving on their own needs an official's recorded approval.",
                field="approval_note",
                **refuse,
            )
        authorization = Authorization.SELF_RELEASE
    else:
        standing = adult_standing(cs.student_id, person_id)
        if standing.standing == Standing.PROHIBITED:
            return _refuse_prohibited(actor=actor, cs=cs, person=person, now=now)
        if standing.renew_plan is not None:
            _ask_to_renew(case, cs, standing.renew_plan, name)
        authorization = standing.authorization
        if standing.standing != Standing.ALLOWED:
            code_row, code_result = _code_outcome(cs, person_id, name, code, now=now)
            if code_result and code is not None:
                return _code_refusal(code_result, code_row, refuse)
            if code_row is not None:
                authorization = Authorization.GUARDIAN_CODE
                if (
                    code is not None
                    and code_row.confirmed_via == ReleaseCode.Via.STAFF
                    and code_row.confirmed_at == now
                ):
                    _code_confirmed(code_row, actor=actor, now=now)
            else:
                override = _approval(cs, ReleaseApproval.Kind.OVERRIDE, person_id, name)
                if override is None and override_reason:
                    override = _approve(
                        actor=actor,
                        cs=cs,
                        kind=ReleaseApproval.Kind.OVERRIDE,
                        person=person,
                        name=name,
                        reason=f"{standing.reason}: {override_reason}",
                        now=now,
                    )
                if override is None:
                    unlisted = standing.standing == Standing.UNLISTED
                    return _refuse(
                        code="release_not_authorized" if unlisted else "release_needs_approval",
                        message=f"{name} is {standing.reason} for {cs.student.display_name}: "
                        "a legal guardian's one-time code or a crisis lead's override is needed.",
                        field="person",
                        **refuse,
                    )
                authorization = Authorization.OVERRIDE

    # How identity was confirmed.
    identity_approval = None
    if identity == Identity.NO_PHOTO_ID:
        if established == IdentityEstablished.GUARDIAN_CODE and code_row is None:
            return _refuse(
                code="release_needs_approval",
                message="identity established by a guardian's code: no code of a guardian "
                "confirmed this adult.",
                field="identity_established",
                **refuse,
            )
        identity_approval = _approval(cs, ReleaseApproval.Kind.NO_PHOTO_ID, person_id, name)
        if identity_approval is None and access.can_override(actor):
            label = IdentityEstablished(established).label.lower()
            identity_approval = _approve(
                actor=actor,
                cs=cs,
                kind=ReleaseApproval.Kind.NO_PHOTO_ID,
                person=person,
                name=name,
                reason=f"no photo ID; identity established: {label}"
                + (f". {override_reason}" if override_reason else ""),
                now=now,
            )
        if identity_approval is None:
            return _refuse(
                code="release_needs_approval",
                message="no photo ID: a crisis lead must approve, with how identity was "
                "established.",
                field="identity",
                **refuse,
            )

    # The student's own answer.
    hold = None
    if not comfortable:
        hold = _approval(cs, ReleaseApproval.Kind.STUDENT_HOLD, person_id, name)
        if hold is None and hold_note:
            hold = _approve(
                actor=actor,
                cs=cs,
                kind=ReleaseApproval.Kind.STUDENT_HOLD,
                person=person,
                name=name,
                reason=hold_note,
                now=now,
            )
        if hold is None:
            return _refuse(
                code="release_held",
                message=f"{cs.student.display_name} said they are not comfortable going with "
                f"{name or 'no adult'}: the counselor and the lead talk with the student, and "
                "the lead confirms with a note.",
                field="student_comfortable",
                action="release.held",
                **refuse,
            )

    release = Release.objects.create(
        case=case,
        case_student=cs,
        person=person,
        adult_name=name,
        authorization=authorization,
        pickup_status=standing.pickup_status,
        identity=identity,
        identity_established=established,
        student_comfortable=comfortable,
        override=override,
        identity_approval=identity_approval,
        hold_approval=hold,
        self_release_approval=self_approval,
        guardian_code=code_row,
        signature_image=image,
        signature_initials=initials,
        checked_in_by=checker,
        identity_verified_by=actor if identity else None,
        handed_over_by=actor,
        handed_over_at=now,
        idempotency_key=key,
    )
    _record_custody(release, cs, actor=actor, now=now)
    Task.objects.filter(case_student=cs, kind=Task.Kind.RELEASE, status__in=Task.ACTIVE).update(
        status=Task.Status.DONE, completed_by=actor, completed_at=now
    )
    _tell_family_and_counselor(release, cs, now=now)
    _record_disclosure(release=release, actor=actor)
    case_student_settle(
        actor=actor,
        case_student=cs,
        status=CaseStudent.Status.RELEASED,
        note=f"Released to {release.taken_by}.",
    )
    return ReleaseResult(release, created=True)


def _code_refusal(result: str, row, refuse: dict) -> _Refusal:
    error = _code_error(result, row)
    return _refuse(code=error.code, message=error.message, field="guardian_code", **refuse)


def _record_custody(release: Release, cs: CaseStudent, *, actor, now) -> None:
    steps = [f"checked in by {display_name(release.checked_in_by)}"]
    if release.identity:
        how = Identity(release.identity).label.lower()
        if release.identity_established:
            how += (
                f", established: {IdentityEstablished(release.identity_established).label.lower()}"
            )
        steps.append(f"identity ({how}) verified by {display_name(actor)}")
    for approval in (
        release.override,
        release.identity_approval,
        release.hold_approval,
        release.self_release_approval,
    ):
        if approval is not None:
            steps.append(
                f"{ReleaseApproval.Kind(approval.kind).label.lower()} approved by "
                f"{display_name(approval.approved_by)}: {approval.reason}"
            )
    if release.guardian_code_id:
        steps.append(f"authorized by {release.guardian_code.guardian.display_name}'s code")
    steps.append(
        f"student comfortable: {'yes' if release.student_comfortable else 'no (talked through)'}"
    )
    steps.append(f"handed over by {display_name(actor)}")
    timeline_add(
        case=cs.case,
        case_student=cs,
        action="release.recorded",
        actor=actor,
        at=now,
        text=f"{cs.student.display_name} released to {release.taken_by}: " + "; ".join(steps),
        data={
            "release": release.pk,
            "person": release.person_id,
            "authorization": release.authorization,
            "identity": release.identity,
        },
    )
    audit_record(
        actor=actor,
        action="reunify.release.recorded",
        obj=release,
        after={
            "case_student": cs.pk,
            "student": cs.student_id,
            "person": release.person_id,
            "adult_name": release.adult_name,
            "authorization": release.authorization,
            "pickup_status": release.pickup_status,
            "identity": release.identity,
            "identity_established": release.identity_established,
            "student_comfortable": release.student_comfortable,
            "override": release.override_id,
            "identity_approval": release.identity_approval_id,
            "hold_approval": release.hold_approval_id,
            "self_release_approval": release.self_release_approval_id,
            "guardian_code": release.guardian_code_id,
            "checked_in_by": release.checked_in_by_id,
            "identity_verified_by": release.identity_verified_by_id,
            "handed_over_by": release.handed_over_by_id,
            "handed_over_at": now.isoformat(),
        },
    )


def _tell_family_and_counselor(release: Release, cs: CaseStudent, *, now) -> None:
    """The student's other custodial guardians (prohibited adults are never guardians here)
    and the counselor are told, through the outbox."""
    case = cs.case
    guardians = (
        Person.objects.filter(
            pk__in=StudentContact.objects.guardianships()
            .filter(student_id=cs.student_id)
            .values("person_id")
        )
        .exclude(pk=release.person_id or 0)
        .prefetch_related("contact_points")
    )
    time = timezone.localtime(now).strftime("%H:%M")
    context = {
        "student": cs.student.display_name,
        "school": cs.student.school.name,
        "adult": release.taken_by,
        "time": time,
    }
    built = []
    for guardian in guardians:
        message, _ = messages.outgoing(
            case=case,
            person=guardian,
            points=list(guardian.contact_points.all()),
            template_key="reunify.released",
            context=context,
            idempotency_key=f"reunify.release.{release.pk}.guardian.{guardian.pk}",
        )
        if message is not None:
            built.append(message)
    if cs.counselor is not None:
        message = staff_email(
            case=case,
            user=cs.counselor,
            template_key="reunify.staff_released",
            context=context,
            idempotency_key=f"reunify.release.{release.pk}.counselor",
        )
        if message is not None:
            built.append(message)
    if built:
        messages_queue_many(messages=built)


def _ask_to_renew(case: Case, cs: CaseStudent, plan: PreparednessPlan, name: str) -> None:
    """The standby caregiver's affidavit has expired: ask the plan's guardian to renew it (once
    per case and plan)."""
    guardian = Person.objects.prefetch_related("contact_points").get(pk=plan.guardian_id)
    message, _ = messages.outgoing(
        case=case,
        person=guardian,
        points=list(guardian.contact_points.all()),
        template_key="reunify.affidavit_renew",
        context={"adult": name},
        idempotency_key=f"reunify.case.{case.pk}.plan.{plan.pk}.renew",
    )
    if message is not None:
        messages_queue_many(messages=[message])


def _record_disclosure(*, release: Release, actor) -> None:
    """The FERPA record of disclosures (34 CFR 99.32), inside the release's transaction:
    handing a student over discloses the student's presence and identity to the adult. An adult
    the guardians listed (allowed, or the standby caregiver of their plan) is a listed contact;
    one a legal guardian authorised by their one-time code is the parent's consent; one a crisis
    lead let take the student over the lists is a health or safety emergency, the lead's reason
    its detail. A student who leaves on their own discloses nothing to anyone."""
    if release.authorization == Authorization.SELF_RELEASE:
        return
    basis, detail = DisclosureBasis.LISTED_CONTACT, ""
    if release.authorization == Authorization.GUARDIAN_CODE:
        basis = DisclosureBasis.PARENTAL_CONSENT
    elif release.authorization == Authorization.OVERRIDE and not release.pickup_status:
        basis = DisclosureBasis.HEALTH_SAFETY_EMERGENCY
        detail = release.override.reason if release.override_id else ""
    disclosure_record(
        actor=actor,
        student_ids=[release.case_student.student_id],
        party=release.taken_by,
        what="release of the student into their care",
        basis=basis,
        basis_detail=detail or "",
        disclosed_at=release.handed_over_at,
        source_type="reunify.release",
        source_id=release.pk,
    )


# --- corrections -------------------------------------------------------------------------------


def release_correct(*, actor, release: Release, changes: dict, reason: str) -> ReleaseCorrection:
    """Correct a release record by a new entry that references it (the release is never edited):
    only the adult's name as written, how identity was confirmed, and the typed initials.
    A crisis lead or the staff member who handed the student over. Raises DomainError for an
    unknown or forbidden field, a bad value or an empty reason; 403 for anyone else."""
    if not (access.can_override(actor) or release.handed_over_by_id == getattr(actor, "pk", None)):
        raise DomainError(
            "Only a crisis lead or who handed the student over may correct a release.",
            code="forbidden",
            status=403,
        )
    if not isinstance(changes, dict) or not changes:
        raise DomainError("changes: say what to correct.", code="required", field="changes")
    blocked = forbidden_keys(changes)
    if blocked:
        from privacy.errors import NotCollected

        raise NotCollected(blocked)
    unknown = sorted(set(changes) - set(ReleaseCorrection.CORRECTABLE))
    if unknown:
        raise DomainError(
            f"changes: {', '.join(unknown)} cannot be corrected (only "
            f"{', '.join(ReleaseCorrection.CORRECTABLE)}).",
            code="not_correctable",
            field="changes",
        )
    clean: dict[str, str] = {}
    if "adult_name" in changes:
        clean["adult_name"] = _text(
            changes["adult_name"], field="adult_name", required=True, limit=MAX_NAME
        )
    if "identity" in changes:
        clean["identity"] = _choice(changes["identity"], Identity.values, field="identity")
    if "identity_established" in changes:
        clean["identity_established"] = _choice(
            changes["identity_established"],
            IdentityEstablished.values,
            field="identity_established",
            required=False,
        )
    if "signature_initials" in changes:
        _, clean["signature_initials"] = check_signature("", changes["signature_initials"])
    reason = _text(reason, field="reason", required=True, limit=MAX_REASON)
    now = timezone.now()
    with transaction.atomic():
        correction = ReleaseCorrection.objects.create(
            release=release, changes=clean, reason=reason, corrected_by=actor, corrected_at=now
        )
        timeline_add(
            case=release.case,
            case_student=release.case_student,
            action="release.corrected",
            actor=actor,
            at=now,
            text=f"Release record corrected ({', '.join(sorted(clean))}): {reason}",
            data={"release": release.pk, "correction": correction.pk, "changes": clean},
        )
        audit_record(
            actor=actor,
            action="reunify.release.corrected",
            obj=release,
            after={"correction": correction.pk, "changes": clean, "reason": reason},
        )
    return correction


def release_as_corrected(release: Release) -> dict:
    """The release's correctable fields with its corrections applied in order (pure over the
    prefetched corrections)."""
    values = {name: getattr(release, name) for name in ReleaseCorrection.CORRECTABLE}
    for correction in release.corrections.all():
        values.update(correction.changes)
    return values


def code_expires_in(row: ReleaseCode, now: datetime | None = None) -> int:
    """Whole minutes left to enter the code (0 when expired)."""
    left = (row.expires_at - (now or timezone.now())).total_seconds()
    return max(0, int(left // 60))
