"""The release, school event, check-in, accountability and report endpoints: thin views. Each
loads the case through reunify.selectors (404 for what the caller may not see), parses the body
with a serializer and calls one service."""

from django.http import Http404, HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import query_id, query_text
from config.openapi import errors, id_filter, text_filter
from privacy.errors import DomainError
from privacy.services import access_record, access_record_many

from .. import access, selectors, selectors_release
from ..models import Case, Release, ReleaseCode
from ..services import events, release, report
from . import release_serializers as s

RELEASE_ERRORS = {
    400: "`student_not_in_case`, `unknown_person`, `invalid_choice` (identity), `required` "
    "(an empty override reason), `invalid_signature`, `code_wrong`, `not_accepted` keys; "
    "`extra.field` names the field.",
    403: "`forbidden`: an override or a held release confirmed by anyone but a crisis lead.",
    409: "`release_prohibited`, `release_needs_approval`, `release_not_authorized`, "
    "`release_held`, `already_released` (names who and when), `case_closed`, `code_locked`, "
    "`code_expired`, `code_used`, `idempotency_key_reused`.",
}
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="A retried request with the same key gives the same release.",
)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _case(request, case_id) -> Case:
    return selectors.get_case_ref_for(request.user, case_id)


def _report_case(request, case_id) -> Case:
    """The report covers the whole case: the lead's (reunify.access.can_view_report)."""
    case = _case(request, case_id)
    if not access.can_view_report(request.user):
        raise Http404
    return case


def _signature(data) -> tuple[str, str]:
    """`signature` is a PNG data URL or typed initials; `signature_initials` is initials."""
    value = data.get("signature", "")
    if value.startswith("data:"):
        return value, data.get("signature_initials", "")
    return "", data.get("signature_initials", "") or value


class ReleaseListView(APIView):
    @extend_schema(responses={200: s.ReleaseOut(many=True), **errors(403, 404)})
    def get(self, request, case_id):
        case = _case(request, case_id)
        releases = selectors_release.case_releases(request.user, case)
        access_record(actor=request.user, action="reunify.releases.listed", obj=case)
        return Response(s.ReleaseOut(releases, many=True).data)

    @extend_schema(
        request=s.ReleaseIn,
        parameters=[IDEMPOTENCY],
        responses={
            201: s.ReleaseOut,
            200: s.ReleaseOut,
            **errors(400, 403, 404, 409, say=RELEASE_ERRORS),
        },
        description="Release a student. 201 with the release; 200 with the same release for a "
        "retried request (same Idempotency-Key, or the same student and adult again).",
    )
    def post(self, request, case_id):
        case = _case(request, case_id)
        data = _valid(s.ReleaseIn, request.data)
        image, initials = _signature(data)
        result = release.student_release(
            actor=request.user,
            case=case,
            student=data["student"],
            person=data.get("person"),
            adult_name=data.get("adult_name", ""),
            identity=data.get("identity") or None,
            identity_established=data.get("identity_established", ""),
            student_comfortable=data["student_comfortable"],
            override_reason=data.get("override_reason"),
            guardian_code=data.get("guardian_code"),
            hold_note=data.get("hold_note"),
            self_release=data["self_release"],
            approval_note=data.get("approval_note"),
            signature_image=image,
            signature_initials=initials,
            checked_in_by=data.get("checked_in_by"),
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        body = s.ReleaseOut(
            selectors_release.case_releases(request.user, case).get(pk=result.release.pk)
        ).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else 200)


class CorrectionView(APIView):
    @extend_schema(request=s.CorrectionIn, responses={201: s.ReleaseOut, **errors(400, 403, 404)})
    def post(self, request, case_id, release_id):
        case = _case(request, case_id)
        found = selectors_release.case_releases(request.user, case)
        try:
            target = found.get(pk=release_id)
        except Release.DoesNotExist:
            raise Http404 from None
        data = _valid(s.CorrectionIn, request.data)
        release.release_correct(
            actor=request.user, release=target, changes=data["changes"], reason=data["reason"]
        )
        return Response(s.ReleaseOut(found.get(pk=release_id)).data, status=201)


class ApprovalView(APIView):
    @extend_schema(
        request=s.ApprovalIn, responses={201: s.ApprovalCreatedOut, **errors(400, 403, 404, 409)}
    )
    def post(self, request, case_id):
        case = _case(request, case_id)
        data = _valid(s.ApprovalIn, request.data)
        approval = release.release_approve(
            actor=request.user,
            case=case,
            student=data["student"],
            kind=data["kind"],
            reason=data["reason"],
            person=data.get("person"),
            adult_name=data.get("adult_name", ""),
        )
        return Response(s.ApprovalCreatedOut(approval).data, status=201)


class CodeRequestView(APIView):
    @extend_schema(
        request=s.CodeRequestIn,
        responses={201: s.CodeOut, **errors(400, 403, 404, 409)},
        description="Send a legal guardian of the student, at a phone already on file, the "
        "adult's name and a 6-digit code (30 minutes, single use, 5 tries).",
    )
    def post(self, request, case_id):
        case = _case(request, case_id)
        data = _valid(s.CodeRequestIn, request.data)
        row = release.release_code_request(
            actor=request.user,
            case=case,
            student=data["student"],
            guardian=data["guardian"],
            person=data.get("person"),
            adult_name=data.get("adult_name", ""),
            contact_point=data.get("contact_point"),
        )
        return Response(s.CodeOut(row).data, status=201)


class CodeVerifyView(APIView):
    @extend_schema(request=s.CodeVerifyIn, responses={200: s.CodeOut, **errors(400, 403, 404, 409)})
    def post(self, request, case_id, code_id):
        case = _case(request, case_id)
        row = ReleaseCode.objects.filter(case=case, pk=code_id).first()
        if row is None:
            raise Http404
        data = _valid(s.CodeVerifyIn, request.data)
        return Response(
            s.CodeOut(
                release.release_code_verify(actor=request.user, release_code=row, code=data["code"])
            ).data
        )


class OptionsView(APIView):
    @extend_schema(
        parameters=[
            id_filter("student", "One student (id)."),
            text_filter("q", "Or: a name or SIS id to look up."),
        ],
        responses={200: s.OptionsOut(many=True), **errors(400, 403, 404)},
        description="Who may take each student, who needs an override, and 'do not release "
        "to' names.",
    )
    def get(self, request, case_id):
        case = _case(request, case_id)
        student = query_id(request, "student")
        q = query_text(request, "q")
        if student is not None:
            students = list(
                selectors_release.case_students_for_release(request.user, case).filter(
                    student_id=student
                )
            )
        elif q is not None:
            students = selectors_release.release_students_search(request.user, case, q)
        else:
            raise DomainError("student: give a student id or q.", code="required", field="student")
        access_record_many(
            actor=request.user,
            action="reunify.release_options.viewed",
            object_type="reunify.casestudent",
            object_ids=[cs.pk for cs in students],
        )
        return Response(s.OptionsOut(selectors_release.release_options(students), many=True).data)


class AdultSearchView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=True, description="A name or a phone.")],
        responses={200: s.AdultMatchOut(many=True), **errors(400, 403, 404)},
    )
    def get(self, request, case_id):
        case = _case(request, case_id)
        q = query_text(request, "q") or ""
        matches = selectors_release.release_adults_search(request.user, case, q)
        access_record_many(
            actor=request.user,
            action="reunify.release_adults.searched",
            object_type="contacts.person",
            object_ids=[m.person.pk for m in matches],
        )
        return Response(s.AdultMatchOut(matches, many=True).data)


class CheckInQueueView(APIView):
    @extend_schema(responses={200: s.CheckInOut(many=True), **errors(403, 404)})
    def get(self, request, case_id):
        case = _case(request, case_id)
        return Response(s.CheckInOut(selectors_release.checkin_queue(case), many=True).data)

    @extend_schema(
        request=s.DeskCheckInIn, responses={201: s.CheckInOut, **errors(400, 403, 404, 409)}
    )
    def post(self, request, case_id):
        case = _case(request, case_id)
        data = _valid(s.DeskCheckInIn, request.data)
        checkin = events.event_checkin_desk(
            actor=request.user,
            case=case,
            person=data["person"],
            students=data["students"],
            eta_minutes=data["eta_minutes"],
        )
        return Response(s.CheckInOut(checkin).data, status=201)


class AccountabilityView(APIView):
    @extend_schema(responses={200: s.UnaccountedOut(many=True), **errors(403, 404)})
    def get(self, request, case_id):
        case = _case(request, case_id)
        page = selectors_release.unaccounted(request.user, case)
        return Response(s.UnaccountedOut(page, many=True).data)

    @extend_schema(
        request=s.AccountIn, responses={201: s.AccountingOut, **errors(400, 403, 404, 409)}
    )
    def post(self, request, case_id):
        case = _case(request, case_id)
        data = _valid(s.AccountIn, request.data)
        entry = events.student_account(
            actor=request.user,
            case=case,
            student=data["student"],
            status=data["status"],
            note=data.get("note", ""),
        )
        return Response(s.AccountingOut(entry).data, status=201)


class ReportView(APIView):
    @extend_schema(
        responses={200: dict, **errors(403, 404)}, description="The after-action report."
    )
    def get(self, request, case_id):
        case = _report_case(request, case_id)
        access_record(actor=request.user, action="reunify.case.report_viewed", obj=case)
        return Response(report.case_report(case))


class ReportCsvView(APIView):
    @extend_schema(responses={(200, "text/csv"): str, **errors(403, 404)})
    def get(self, request, case_id):
        case = _report_case(request, case_id)
        access_record(actor=request.user, action="reunify.case.report_exported", obj=case)
        response = HttpResponse(
            report.case_report_csv(case), content_type="text/csv; charset=utf-8"
        )
        name = f"case-{case.number}-after-action.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class PublicCheckInView(APIView):
    """The notice's check-in link: the guardian's children in the event, and checking in ahead.
    No staff sign-in; the signed token is the key."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: dict, **errors(400, 409)})
    def get(self, request, token):
        case_id, person_id = events.read_checkin_token(token)
        case = Case.objects.filter(pk=case_id).first()
        if case is None or not case.is_open:
            raise DomainError("This reunification has ended.", code="case_closed", status=409)
        children = events.checkin_children(case, person_id)
        return Response(
            {
                "case": case.number,
                "school": case.school.name if case.school_id else "",
                "drill": case.drill,
                "children": [
                    {"student": cs.student_id, "name": cs.student.display_name} for cs in children
                ],
            }
        )

    @extend_schema(request=s.CheckInIn, responses={201: dict, **errors(400, 409)})
    def post(self, request, token):
        data = _valid(s.CheckInIn, request.data)
        checkin = events.event_checkin(
            token=token, students=data["students"], eta_minutes=data["eta_minutes"]
        )
        return Response(
            {"eta_minutes": checkin.eta_minutes, "expected_at": checkin.expected_at}, status=201
        )


def school_event_create(request) -> Response:
    """`POST /api/v1/cases/` with {"kind": "school_event", "school": id}: the case view hands
    the request here."""
    from .serializers import CaseOut

    data = _valid(s.SchoolEventIn, request.data)
    result = events.school_event_open(
        actor=request.user,
        school=data["school"],
        drill=data["drill"],
        site=data.get("site", ""),
        when=data.get("when", ""),
        idempotency_key=request.headers.get("Idempotency-Key") or None,
    )
    case = selectors.get_case_for(request.user, result.case.pk)
    body = CaseOut(case).data | {
        "notices": [{"code": n.code, "message": n.message, "case": n.case} for n in result.notices],
        "guardians_notified": result.notified,
    }
    return Response(body, status=status.HTTP_201_CREATED if result.created else 200)


def case_close(request, case) -> Response:
    """The case view's close: a reason is needed while students are still in care."""
    from .serializers import CaseOut, CloseIn

    data = _valid(CloseIn, request.data)
    events.case_close_checked(actor=request.user, case=case, note=data["note"])
    return Response(CaseOut(selectors.get_case_for(request.user, case.pk)).data)
