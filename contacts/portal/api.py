"""The staff review queue over the REST API: list pending pickup adults, approve or reject."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from config.openapi import errors

from . import selectors, services


class PendingPickupOutput(serializers.Serializer):
    id = serializers.IntegerField()
    student_id = serializers.IntegerField()
    student_name = serializers.CharField(source="student.display_name")
    school = serializers.CharField(source="student.school.code")
    person_id = serializers.IntegerField()
    person_name = serializers.CharField(source="person.display_name")
    relationship = serializers.CharField()
    pickup_status = serializers.CharField()
    source = serializers.CharField()
    requested_at = serializers.DateTimeField(source="updated_at")


@extend_schema(responses={200: PendingPickupOutput(many=True), **errors(403)})
class ReviewQueueView(ListAPIView):
    """Pickup adults awaiting review in the schools the caller may edit contacts for."""

    serializer_class = PendingPickupOutput

    def get_queryset(self):
        return selectors.pending_pickups_visible_to(self.request.user)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = response.data["results"] if isinstance(response.data, dict) else response.data
        services.review_queue_viewed(actor=request.user, link_ids=[row["id"] for row in rows])
        return response


class DecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])


DECIDED = {409: "`already_decided`: another staff member decided this request first."}


class ReviewDecisionView(APIView):
    @extend_schema(
        request=DecisionInput,
        responses={200: PendingPickupOutput, **errors(400, 403, 404, 409, 415, say=DECIDED)},
    )
    def post(self, request, link_id: int):
        link = selectors.get_pending_pickup_for(request.user, link_id)
        data = DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        approve = data.validated_data["decision"] == "approve"
        link = services.pickup_review_decide(actor=request.user, link=link, approve=approve)
        return Response(PendingPickupOutput(link).data)
