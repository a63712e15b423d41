"""Reads, scoped to the actor, and the access helpers: `get_<thing>_for(actor, id)` raises Http404
for anything the actor may not see (a denied object is a 404, never a 403).

Agency requests, their documents and the record of disclosures are the legal office's: only
legal officers (and district administrators) see them. The staff member who filed a request sees
its confirmation page and nothing more."""

from django.db.models import QuerySet
from django.http import Http404

from .models import AgencyDocument, AgencyRequest, AgencyRequestStudent, Disclosure
from .roles import Role, has_role

LEGAL_ROLES = (Role.LEGAL, Role.ADMIN)


def is_legal_officer(actor) -> bool:
    return has_role(actor, *LEGAL_ROLES)


def agency_requests_visible_to(actor) -> QuerySet[AgencyRequest]:
    if not is_legal_officer(actor):
        return AgencyRequest.objects.none()
    return AgencyRequest.objects.prefetch_related("students", "documents")


def _get(queryset: QuerySet, pk):
    try:
        return queryset.get(pk=int(pk))
    except (ValueError, TypeError, OverflowError, queryset.model.DoesNotExist) as exc:
        raise Http404 from exc


def get_agency_request_for(actor, pk) -> AgencyRequest:
    """A request a legal officer reviews, decides, closes or exports."""
    return _get(agency_requests_visible_to(actor), pk)


def get_filed_agency_request_for(actor, pk) -> AgencyRequest:
    """The confirmation of a request: its filer, or a legal officer."""
    if is_legal_officer(actor):
        return get_agency_request_for(actor, pk)
    if not getattr(actor, "is_authenticated", False):
        raise Http404
    return _get(AgencyRequest.objects.filter(received_by=actor), pk)


def get_agency_document_for(actor, pk) -> AgencyDocument:
    if not is_legal_officer(actor):
        raise Http404
    return _get(AgencyDocument.objects.select_related("request"), pk)


def disclosures_visible_to(actor) -> QuerySet[Disclosure]:
    if not is_legal_officer(actor):
        return Disclosure.objects.none()
    return Disclosure.objects.select_related("approved_by")


def disclosures_of_students(student_ids) -> QuerySet[Disclosure]:
    """The record of disclosures about these students (the portal passes a guardian's
    children)."""
    return Disclosure.objects.filter(student_id__in=list(student_ids)).order_by(
        "-disclosed_at", "-id"
    )


def open_agency_request_for_student(student_id: int) -> AgencyRequest | None:
    """The oldest open (received or under legal review) agency request naming this student, or
    None. Staff pages showing the student put `privacy/_agency_banner.html` up when it is not
    None. Indexed: one query."""
    link = (
        AgencyRequestStudent.objects.filter(
            student_id=student_id, request__status__in=AgencyRequest.OPEN_STATUSES
        )
        .select_related("request")
        .order_by("request__received_at", "request_id")
        .first()
    )
    return link.request if link else None


def students_under_agency_review(student_ids) -> set[int]:
    """Which of these students an open agency request names. One query: pages listing students
    mark each of them as a page showing one student shows the banner."""
    return set(
        AgencyRequestStudent.objects.filter(
            student_id__in=list(student_ids), request__status__in=AgencyRequest.OPEN_STATUSES
        ).values_list("student_id", flat=True)
    )
