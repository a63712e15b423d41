"""/api/v1/campaigns/: thin views. Each loads the campaign through the access helper (404 for
what the caller may not see), parses input with a serializer and calls one service."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from config.openapi import errors

from . import selectors, services
from .models import CHANNELS, Campaign


class CampaignIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    scope = serializers.ChoiceField(choices=Campaign.Scope.choices)
    school_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), default=list)
    grades = serializers.ListField(child=serializers.CharField(max_length=8), default=list)
    student_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), default=list, max_length=200_000
    )
    channels = serializers.ListField(child=serializers.ChoiceField(choices=CHANNELS))
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    reminder_days = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=365), default=list
    )


class ProgressOut(serializers.Serializer):
    school_id = serializers.IntegerField()
    school = serializers.CharField(source="school.name")
    recipients = serializers.IntegerField()
    no_channel = serializers.IntegerField()
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    failed = serializers.IntegerField()
    failed_by_reason = serializers.DictField(child=serializers.IntegerField())
    opened = serializers.IntegerField()
    confirmed = serializers.IntegerField()
    updated = serializers.IntegerField()
    opted_out = serializers.IntegerField()
    call_list = serializers.IntegerField()
    refreshed_at = serializers.DateTimeField()


class CampaignOut(serializers.ModelSerializer):
    school_ids = serializers.PrimaryKeyRelatedField(source="schools", many=True, read_only=True)
    fanout_percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "scope",
            "school_ids",
            "grades",
            "channels",
            "opens_at",
            "closes_at",
            "reminder_days",
            "status",
            "created_at",
            "launched_at",
            "closed_at",
            "guardians_total",
            "recipients_written",
            "fanout_percent",
        ]


class PreviewRowOut(serializers.Serializer):
    school_id = serializers.IntegerField(source="school.pk", allow_null=True)
    school = serializers.CharField(source="school.name", allow_null=True)
    guardians = serializers.IntegerField()
    students = serializers.IntegerField()
    no_channel = serializers.IntegerField()


class CampaignPreviewOut(serializers.Serializer):
    schools = PreviewRowOut(many=True)
    total = PreviewRowOut()


STATUS_CONFLICT = {
    409: "`already_launched`, `closed` or `wrong_status`: the campaign's status does not allow "
    "this (`extra.field`: status)."
}
BAD_LAUNCH = {
    400: "`closed`: the closing time has passed (`extra.field`: closes_at); `empty_scope`: no "
    "guardian is in scope (`extra.field`: scope)."
}


@extend_schema_view(
    list=extend_schema(responses={200: CampaignOut(many=True), **errors(403)}),
    retrieve=extend_schema(responses={200: CampaignOut, **errors(403, 404)}),
)
class CampaignViewSet(viewsets.ReadOnlyModelViewSet):
    """Verification campaigns (district data team). Errors: 400 naming the field (empty or
    unknown scope, closing before opening, a reminder after closing), 409 for launching twice or
    changing a closed campaign (`extra.field`: status)."""

    serializer_class = CampaignOut

    def get_queryset(self):
        return (
            selectors.campaigns_visible_to(self.request.user)
            .prefetch_related("schools")
            .order_by("-created_at", "-id")
        )

    @extend_schema(request=CampaignIn, responses={201: CampaignOut, **errors(400, 403, 415)})
    def create(self, request):
        if not selectors.can_manage_campaigns(request.user):
            raise PermissionDenied("Only the district data team runs campaigns.")
        data = CampaignIn(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = services.campaign_create(actor=request.user, **data.validated_data)
        return Response(CampaignOut(campaign).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: CampaignPreviewOut, **errors(403, 404)})
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        campaign = selectors.get_campaign_for(request.user, pk)
        return Response(CampaignPreviewOut(selectors.campaign_preview(campaign)).data)

    @extend_schema(responses={200: ProgressOut(many=True), **errors(403, 404)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def progress(self, request, pk=None):
        campaign = selectors.get_campaign_for(request.user, pk)
        return Response(ProgressOut(selectors.campaign_progress(campaign), many=True).data)

    def _change(self, request, pk, service):
        campaign = selectors.get_campaign_for(request.user, pk)
        campaign = service(actor=request.user, campaign=campaign)
        return Response(CampaignOut(campaign).data)

    @extend_schema(
        request=None,
        responses={
            200: CampaignOut,
            **errors(400, 403, 404, 409, say=BAD_LAUNCH | STATUS_CONFLICT),
        },
    )
    @action(detail=True, methods=["post"])
    def launch(self, request, pk=None):
        return self._change(request, pk, services.campaign_launch)

    @extend_schema(
        request=None, responses={200: CampaignOut, **errors(403, 404, 409, say=STATUS_CONFLICT)}
    )
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._change(request, pk, services.campaign_pause)

    @extend_schema(
        request=None, responses={200: CampaignOut, **errors(403, 404, 409, say=STATUS_CONFLICT)}
    )
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._change(request, pk, services.campaign_resume)

    @extend_schema(
        request=None, responses={200: CampaignOut, **errors(403, 404, 409, say=STATUS_CONFLICT)}
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._change(request, pk, services.campaign_close)
