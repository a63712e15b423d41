"""The privacy API: agency requests (`/api/v1/agency-requests/`) and the record of disclosures
(`/api/v1/disclosures/`). Thin views: parse with a serializer, load through an access helper
(404 for what the caller may not see), call one service."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.openapi import errors

from . import selectors, services
from .models import AgencyDocument, AgencyRequest, Disclosure, DisclosureBasis
from .parsers import GuardedFormParser, GuardedJSONParser, GuardedMultiPartParser
from .services.agency import Intake

CONFLICT = {409: "`conflict`: the request is not at a step where this can be done."}


class AgencyRequestIn(serializers.Serializer):
    school = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    officer_name = serializers.CharField(max_length=200, allow_blank=True)
    badge_number = serializers.CharField(max_length=60, required=False, allow_blank=True)
    agency = serializers.CharField(max_length=200, allow_blank=True)
    supervisor_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    purpose = serializers.CharField(max_length=4000, allow_blank=True)
    records_requested = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    student_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=50,
    )
    document_kind = serializers.ChoiceField(AgencyRequest.Document.choices)
    document_other = serializers.CharField(max_length=200, required=False, allow_blank=True)
    emergency_declared = serializers.BooleanField(required=False, default=False)
    notes = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    documents = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=10, write_only=True
    )


class AgencyDocumentOut(serializers.ModelSerializer):
    class Meta:
        model = AgencyDocument
        fields = ["id", "content_type", "size", "sha256", "original_name", "uploaded_at"]


class AgencyRequestOut(serializers.ModelSerializer):
    student_ids = serializers.SerializerMethodField()
    documents = AgencyDocumentOut(many=True, read_only=True)

    class Meta:
        model = AgencyRequest
        fields = [
            "id",
            "status",
            "school_id",
            "received_at",
            "officer_name",
            "badge_number",
            "agency",
            "supervisor_phone",
            "purpose",
            "records_requested",
            "student_ids",
            "document_kind",
            "document_other",
            "emergency_declared",
            "notes",
            "documents",
            "outcome",
            "decision_basis",
            "disclosure_basis",
            "disclosed",
            "decided_at",
            "guardian_notice_forbidden",
            "closed_at",
        ]

    def get_student_ids(self, obj) -> list[int]:
        return sorted(s.student_id for s in obj.students.all())


class ReceivedOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class DecisionIn(serializers.Serializer):
    outcome = serializers.ChoiceField(AgencyRequest.Outcome.choices)
    decision_basis = serializers.CharField(max_length=4000, allow_blank=True)
    disclosure_basis = serializers.ChoiceField(
        DisclosureBasis.choices, required=False, allow_blank=True
    )
    disclosed = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    granted_student_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        allow_null=True,
        max_length=50,
    )
    guardian_notice_forbidden = serializers.BooleanField(required=False, default=False)
    guardian_notice_reason = serializers.CharField(
        max_length=4000, required=False, allow_blank=True
    )


class ExportStudentOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ExportOut(serializers.Serializer):
    request = serializers.IntegerField()
    disclosed = serializers.CharField()
    basis = serializers.CharField()
    students = ExportStudentOut(many=True)


class DisclosureOut(serializers.ModelSerializer):
    class Meta:
        model = Disclosure
        fields = [
            "id",
            "student_id",
            "party",
            "disclosed_at",
            "what",
            "basis",
            "basis_detail",
            "approved_by_label",
            "source_type",
            "source_id",
        ]


class AgencyRequestListView(generics.ListAPIView):
    """Agency requests, newest first: legal officers only (everyone else gets an empty list)."""

    serializer_class = AgencyRequestOut
    parser_classes = [GuardedJSONParser, GuardedFormParser, GuardedMultiPartParser]

    def get_queryset(self):
        return selectors.agency_requests_visible_to(self.request.user).order_by("-id")

    @extend_schema(responses={200: AgencyRequestOut(many=True), **errors(403)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": AgencyRequestIn, "application/json": AgencyRequestIn},
        responses={201: ReceivedOut, **errors(400, 403, 415)},
        description="Record an outside agency's request (any staff role). The legal office, "
        "the crisis leads and the configured recipients are alerted at once. Documents "
        "(multipart `documents`): JPEG, PNG or PDF, at most 10 MB each, checked by content.",
    )
    def post(self, request):
        data = AgencyRequestIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        documents = request.FILES.getlist("documents") if request.FILES else []
        values.pop("documents", None)
        school = values.pop("school")
        created = services.agency_request_receive(
            actor=request.user,
            intake=Intake(school_id=school, **values),
            documents=documents,
        )
        return Response({"id": created.pk, "status": created.status}, status=201)


class AgencyRequestDetailView(APIView):
    @extend_schema(responses={200: AgencyRequestOut, **errors(403, 404)})
    def get(self, request, pk: int):
        return Response(AgencyRequestOut(selectors.get_agency_request_for(request.user, pk)).data)


class AgencyRequestReviewView(APIView):
    @extend_schema(request=None, responses={200: AgencyRequestOut, **errors(403, 404, 409)})
    def post(self, request, pk: int):
        agency_request = selectors.get_agency_request_for(request.user, pk)
        done = services.agency_request_review_start(actor=request.user, request=agency_request)
        return Response(AgencyRequestOut(done).data)


class AgencyRequestDecisionView(APIView):
    @extend_schema(
        request=DecisionIn,
        responses={200: AgencyRequestOut, **errors(400, 403, 404, 409, 415, say=CONFLICT)},
        description="The legal office's decision (legal officers only; 404 for anyone else).",
    )
    def post(self, request, pk: int):
        agency_request = selectors.get_agency_request_for(request.user, pk)
        data = DecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        done = services.agency_request_decide(
            actor=request.user, request=agency_request, **data.validated_data
        )
        return Response(AgencyRequestOut(done).data)


class AgencyRequestCloseView(APIView):
    @extend_schema(request=None, responses={200: AgencyRequestOut, **errors(403, 404, 409)})
    def post(self, request, pk: int):
        agency_request = selectors.get_agency_request_for(request.user, pk)
        done = services.agency_request_close(actor=request.user, request=agency_request)
        return Response(AgencyRequestOut(done).data)


class AgencyRequestExportView(APIView):
    @extend_schema(
        responses={200: ExportOut, **errors(403, 404, 409)},
        description="What may be handed to the agency: refused (409) before a decision and "
        "after a denial.",
    )
    def get(self, request, pk: int):
        agency_request = selectors.get_agency_request_for(request.user, pk)
        return Response(services.agency_request_export(actor=request.user, request=agency_request))


class DisclosureListView(generics.ListAPIView):
    """The record of disclosures, newest first: legal officers only."""

    serializer_class = DisclosureOut

    def get_queryset(self):
        return selectors.disclosures_visible_to(self.request.user).order_by("-disclosed_at", "-id")

    @extend_schema(responses={200: DisclosureOut(many=True), **errors(403)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
