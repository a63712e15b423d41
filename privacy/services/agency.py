"""Requests from outside agencies: intake at the front desk, the legal office's review and
decision, closing, the documents the officer showed.

Workflow: received → under legal review → decided (granted / granted in part / denied) → closed.
Only legal officers review, decide, close, export or open documents; the access helpers in
privacy/selectors.py answer 404 to anyone else before a service is reached.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alerts.models import Channel, Fallback
from alerts.services import OutgoingMessage, messages_queue_many

from ..alert_templates import AGENCY_ALERT, AGENCY_ALERT_EMERGENCY, AGENCY_GUARDIAN_NOTICE
from ..directory import directory
from ..documents import CheckedDocument, check_document
from ..errors import Conflict, DomainError
from ..models import (
    AgencyDocument,
    AgencyRequest,
    AgencyRequestStudent,
    Disclosure,
    StaffContact,
)
from ..roles import Role
from .audit import access_record, audit_record
from .disclosures import check_disclosure, disclosure_record

logger = logging.getLogger(__name__)

Status = AgencyRequest.Status
Outcome = AgencyRequest.Outcome
CAUSE_TYPE = AgencyRequest._meta.label_lower
MAX_DOCUMENTS = 10


@dataclass(frozen=True)
class Intake:
    """What the staff member at the desk gathers (the district's written procedure)."""

    school_id: int | None
    officer_name: str
    agency: str
    purpose: str
    document_kind: str
    badge_number: str = ""
    supervisor_phone: str = ""
    records_requested: str = ""
    student_ids: Sequence[int] = ()
    document_other: str = ""
    emergency_declared: bool = False
    notes: str = ""


def _required(value: str, field: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(f"{field}: {what} is required.", field=field)
    if "\x00" in value:
        raise DomainError(f"{field}: null characters are not allowed.", field=field)
    return value


def _phone(raw: str) -> str:
    raw = (raw or "").strip()
    if not raw:
        return ""
    region = settings.PHONE_REGION
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise DomainError(
            f"supervisor_phone: not a valid {region} phone number.", field="supervisor_phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _check_intake(actor, intake: Intake) -> tuple[dict, list[int]]:
    fields = {
        "officer_name": _required(intake.officer_name, "officer_name", "the officer's name"),
        "agency": _required(intake.agency, "agency", "the agency"),
        "purpose": _required(intake.purpose, "purpose", "the purpose of the visit"),
    }
    if intake.document_kind not in AgencyRequest.Document.values:
        choices = ", ".join(AgencyRequest.Document.values)
        raise DomainError(f"document_kind: must be one of {choices}.", field="document_kind")
    other = (intake.document_other or "").strip()
    if intake.document_kind == AgencyRequest.Document.OTHER and not other:
        raise DomainError(
            "document_other: say what kind of document was shown.", field="document_other"
        )
    schools = dict(directory().schools_for(actor))
    if intake.school_id not in schools:
        raise DomainError("school: choose the school where the officer is.", field="school")
    ids = sorted(set(intake.student_ids))
    visible = {s.id for s in directory().students_visible(actor, ids)}
    if set(ids) - visible:
        raise DomainError("student_ids: one of these students is not known.", field="student_ids")
    fields |= {
        "school_id": intake.school_id,
        "badge_number": (intake.badge_number or "").strip()[:60],
        "supervisor_phone": _phone(intake.supervisor_phone),
        "records_requested": (intake.records_requested or "").strip(),
        "document_kind": intake.document_kind,
        "document_other": other[:200],
        "emergency_declared": bool(intake.emergency_declared),
        "notes": (intake.notes or "").strip(),
    }
    if not ids and not fields["records_requested"]:
        raise DomainError(
            "student_ids: name the students, or describe the records asked for.",
            field="student_ids",
        )
    return fields, ids


def _store(checked: Sequence[CheckedDocument]) -> list[AgencyDocument]:
    """Save the files to the private storage (outside any transaction: it is I/O)."""
    saved = []
    for item in checked:
        document = AgencyDocument(
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
            original_name=item.original_name,
        )
        document.file.save(item.original_name or "document", item.upload, save=False)
        saved.append(document)
    return saved


def _alert_recipients():
    User = get_user_model()
    wanted = Q(groups__name__in=[Role.LEGAL, Role.CRISIS_LEAD]) | Q(
        username__in=settings.AGENCY_REQUEST_ALERT_USERNAMES
    )
    return User.objects.filter(wanted, is_active=True).distinct().order_by("pk")


def _staff_alerts(request: AgencyRequest, school: str) -> list[OutgoingMessage]:
    users = list(_alert_recipients())
    contacts = {c.user_id: c for c in StaffContact.objects.filter(user__in=users)}
    template = AGENCY_ALERT_EMERGENCY if request.emergency_declared else AGENCY_ALERT
    context = {"school": school, "reference": f"#{request.pk}"}
    messages = []
    for user in users:
        contact = contacts.get(user.pk)
        language = contact.language if contact else "en"
        addresses = [(Channel.EMAIL, user.email)]
        if contact and contact.sms_phone:
            addresses.append((Channel.SMS, contact.sms_phone))
        for channel, address in addresses:
            if not address:
                continue
            messages.append(
                OutgoingMessage(
                    channel=channel,
                    address=address,
                    purpose="privacy.agency_request",
                    template_key=template,
                    language=language,
                    context=context,
                    idempotency_key=f"privacy.agency_request:{request.pk}:{user.pk}:{channel}",
                    emergency=True,
                    fallback=Fallback.NONE,
                    cause_type=CAUSE_TYPE,
                    cause_id=request.pk,
                )
            )
    return messages


def agency_request_receive(
    *, actor, intake: Intake, documents: Sequence[UploadedFile] = ()
) -> AgencyRequest:
    """Record an outside agency's request, with the documents the officer showed, and alert the
    legal officers, the crisis leads and the configured recipients at once (emergency lane, SMS
    and email, in each one's language; never a student's name).

    Everything is checked before anything is written: a missing officer name, agency or purpose,
    an unknown document kind or school, a student the actor may not see, a bad phone number, or
    a file that is not a JPEG, PNG or PDF of at most 10 MB raises DomainError naming the field,
    and nothing is saved. Files go to the private storage before the transaction (I/O) and are
    deleted again if it fails."""
    fields, student_ids = _check_intake(actor, intake)
    if len(documents) > MAX_DOCUMENTS:
        raise DomainError(f"documents: at most {MAX_DOCUMENTS} files.", field="documents")
    checked = [check_document(upload) for upload in documents]
    school = directory().school_names([fields["school_id"]]).get(fields["school_id"], "")
    stored = _store(checked)
    try:
        with transaction.atomic():
            request = AgencyRequest.objects.create(received_by=actor, **fields)
            AgencyRequestStudent.objects.bulk_create(
                AgencyRequestStudent(request=request, student_id=sid) for sid in student_ids
            )
            for document in stored:
                document.request = request
                document.uploaded_by = actor
            AgencyDocument.objects.bulk_create(stored)
            audit_record(
                actor=actor,
                action="privacy.agency_request.received",
                obj=request,
                after={
                    "school_id": request.school_id,
                    "student_ids": student_ids,
                    "document_kind": request.document_kind,
                    "emergency_declared": request.emergency_declared,
                    "documents": len(stored),
                },
            )
            messages_queue_many(messages=_staff_alerts(request, school))
    except Exception:
        for document in stored:
            document.file.delete(save=False)
        raise
    logger.info("privacy agency request received: request=%s", request.pk)
    return request


def _transition(request: AgencyRequest, allowed: Sequence[str], to: str, **changes) -> None:
    """Move the request from one of `allowed` to `to` with a conditional update, so two legal
    officers acting at once cannot both decide it. Raises Conflict when it had moved on."""
    updated = AgencyRequest.objects.filter(pk=request.pk, status__in=allowed).update(
        status=to, **changes
    )
    if not updated:
        raise Conflict(
            f"status: the request is {request.get_status_display().lower()}; it cannot be moved "
            "to that step.",
            field="status",
        )
    request.refresh_from_db()


def agency_request_review_start(*, actor, request: AgencyRequest) -> AgencyRequest:
    """A legal officer takes the request up: received → under legal review. Raises Conflict
    when it is past that."""
    with transaction.atomic():
        _transition(request, [Status.RECEIVED], Status.UNDER_REVIEW)
        audit_record(actor=actor, action="privacy.agency_request.review_started", obj=request)
    return request


def _party(request: AgencyRequest) -> str:
    badge = f", badge {request.badge_number}" if request.badge_number else ""
    return f"{request.agency}: officer {request.officer_name}{badge}"


def agency_request_decide(
    *,
    actor,
    request: AgencyRequest,
    outcome: str,
    decision_basis: str,
    disclosure_basis: str = "",
    disclosed: str = "",
    granted_student_ids: Sequence[int] | None = None,
    guardian_notice_forbidden: bool = False,
    guardian_notice_reason: str = "",
) -> AgencyRequest:
    """Record the legal office's decision and its legal basis.

    A grant (in full or in part) names the FERPA basis and what is given, and writes the record
    of disclosures for each granted student (all the request's students, or those in
    `granted_student_ids` for a partial grant). A denial writes none. The students' guardians are
    told (SMS and email, in their language) unless the legal officer records that the law forbids
    it, with the reason. Raises DomainError naming the field for a missing basis or reason, and
    Conflict when the request is already decided or closed (conditional update: two officers
    cannot both decide)."""
    if outcome not in Outcome.values:
        raise DomainError(f"outcome: must be one of {', '.join(Outcome.values)}.", field="outcome")
    basis_text = _required(decision_basis, "decision_basis", "the legal basis of the decision")
    requested = set(request.students.values_list("student_id", flat=True))
    granted: list[int] = []
    if outcome != Outcome.DENIED:
        check_disclosure(
            party=_party(request),
            what=disclosed,
            basis=disclosure_basis,
            basis_detail=basis_text,
        )
        granted = sorted(requested if granted_student_ids is None else set(granted_student_ids))
        if set(granted) - requested:
            raise DomainError(
                "granted_student_ids: only students named in the request can be granted.",
                field="granted_student_ids",
            )
    reason = (guardian_notice_reason or "").strip()
    if guardian_notice_forbidden and not reason:
        raise DomainError(
            "guardian_notice_reason: say which order forbids telling the family.",
            field="guardian_notice_reason",
        )
    now = timezone.now()
    with transaction.atomic():
        _transition(
            request,
            list(AgencyRequest.OPEN_STATUSES),
            Status.DECIDED,
            outcome=outcome,
            decision_basis=basis_text,
            disclosure_basis=disclosure_basis if outcome != Outcome.DENIED else "",
            disclosed=disclosed.strip() if outcome != Outcome.DENIED else "",
            decided_by=actor,
            decided_at=now,
            guardian_notice_forbidden=guardian_notice_forbidden,
            guardian_notice_reason=reason,
            guardians_notified_at=None if guardian_notice_forbidden or not requested else now,
        )
        if granted:
            disclosure_record(
                actor=actor,
                student_ids=granted,
                party=_party(request),
                what=request.disclosed,
                basis=request.disclosure_basis,
                basis_detail=basis_text,
                disclosed_at=now,
                source_type=CAUSE_TYPE,
                source_id=request.pk,
            )
        audit_record(
            actor=actor,
            action="privacy.agency_request.decided",
            obj=request,
            after={
                "outcome": outcome,
                "granted_student_ids": granted,
                "guardian_notice_forbidden": guardian_notice_forbidden,
            },
        )
        if not guardian_notice_forbidden and requested:
            messages_queue_many(messages=_guardian_notices(request, sorted(requested)))
    return request


def _guardian_notices(request: AgencyRequest, student_ids: list[int]) -> list[OutgoingMessage]:
    school = directory().school_names([request.school_id]).get(request.school_id, "")
    context = {"school": school, "legal_phone": settings.LEGAL_OFFICE_PHONE or "-"}
    return [
        OutgoingMessage(
            channel=a.channel,
            address=a.address,
            purpose="privacy.agency_request_notice",
            template_key=AGENCY_GUARDIAN_NOTICE,
            language=a.language,
            context=context,
            idempotency_key=f"privacy.agency_notice:{request.pk}:{a.contact_point_id}",
            recipient_person_id=a.person_id,
            contact_point_id=a.contact_point_id,
            fallback=Fallback.NONE,
            cause_type=CAUSE_TYPE,
            cause_id=request.pk,
        )
        for a in directory().guardian_addresses(student_ids)
    ]


def agency_request_close(*, actor, request: AgencyRequest) -> AgencyRequest:
    """decided → closed; the retention periods count from now. Raises Conflict otherwise."""
    with transaction.atomic():
        _transition(
            request, [Status.DECIDED], Status.CLOSED, closed_at=timezone.now(), closed_by=actor
        )
        audit_record(actor=actor, action="privacy.agency_request.closed", obj=request)
    return request


def agency_request_export(*, actor, request: AgencyRequest) -> dict:
    """What the legal office may hand to the agency: the granted students as the disclosure
    record describes them. Refused (Conflict) before a decision and after a denial, so nothing
    about a student leaves for a request the legal office has not granted."""
    if request.status not in (Status.DECIDED, Status.CLOSED) or not request.outcome:
        raise Conflict(
            "status: nothing can be exported before the legal office's decision.", field="status"
        )
    if request.outcome == Outcome.DENIED:
        raise Conflict("outcome: the request was denied; nothing can be exported.", field="outcome")
    granted = list(
        Disclosure.objects.filter(source_type=CAUSE_TYPE, source_id=request.pk)
        .order_by("student_id")
        .values_list("student_id", flat=True)
    )
    refs = directory().student_refs(granted)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="privacy.agency_request.exported",
            obj=request,
            after={"student_ids": granted},
        )
    return {
        "request": request.pk,
        "disclosed": request.disclosed,
        "basis": request.disclosure_basis,
        "students": [{"id": sid, "name": refs[sid].label} for sid in granted if sid in refs],
    }


def agency_document_open(*, actor, document: AgencyDocument):
    """Open a document's file for a legal officer; the access is logged first (same transaction
    as nothing else: the log entry commits before the file is read). Raises Conflict when
    retention already deleted the file."""
    if document.purged_at is not None or not document.file:
        raise Conflict("document: this file was deleted under the retention policy.")
    with transaction.atomic():
        access_record(actor=actor, action="privacy.agency_document.downloaded", obj=document)
    return document.file.open("rb")
