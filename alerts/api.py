"""Staff API: delivery status per message and per recipient, failures by reason.

District-wide roles only. Bodies and context are never exposed (they carry one-time codes and
portal links); addresses are shown as a hint (last two digits, first letter of an email)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from config.api import query_id, query_text
from privacy.roles import is_district_wide

from .models import Message
from .selectors import message_summary, messages_visible_to, recipient_summaries

FILTERS = ("status", "channel", "purpose", "lane", "error_code", "template_key")
ID_FILTERS = ("recipient_person_id", "contact_point_id")


class IsDistrictWide(BasePermission):
    def has_permission(self, request, view) -> bool:
        return is_district_wide(request.user)


class MessageOutputSerializer(serializers.ModelSerializer):
    address_hint = serializers.CharField(read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "created_at",
            "recipient_person_id",
            "contact_point_id",
            "channel",
            "address_hint",
            "purpose",
            "template_key",
            "language",
            "emergency",
            "lane",
            "status",
            "attempts",
            "sent_at",
            "delivered_at",
            "failed_at",
            "error_code",
            "fallback_of",
        ]
        read_only_fields = fields


class SummarySerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_channel = serializers.DictField(child=serializers.IntegerField())
    failures_by_reason = serializers.DictField(child=serializers.IntegerField())


class RecipientSummarySerializer(serializers.Serializer):
    recipient_person_id = serializers.IntegerField()
    total = serializers.IntegerField()
    delivered = serializers.IntegerField()
    sent = serializers.IntegerField()
    failed = serializers.IntegerField()
    pending = serializers.IntegerField()
    last_message_at = serializers.DateTimeField()


class MessageViewSet(viewsets.ReadOnlyModelViewSet):
    """Outbound messages. Filter with ?status=&channel=&purpose=&lane=&error_code=
    &template_key=&recipient_person_id=&contact_point_id=."""

    serializer_class = MessageOutputSerializer
    permission_classes = [IsDistrictWide]

    def get_queryset(self):
        messages = messages_visible_to(self.request.user)
        for name in FILTERS:
            value = query_text(self.request, name)
            if value is not None:
                messages = messages.filter(**{name: value})
        for name in ID_FILTERS:
            value = query_id(self.request, name)
            if value is not None:
                messages = messages.filter(**{name: value})
        return messages

    @extend_schema(responses=SummarySerializer)
    @action(detail=False, methods=["get"])
    def summary(self, request):
        return Response(SummarySerializer(message_summary(self.get_queryset())).data)

    @extend_schema(responses=RecipientSummarySerializer(many=True))
    @action(detail=False, methods=["get"])
    def recipients(self, request):
        page = self.paginate_queryset(recipient_summaries(self.get_queryset()))
        return self.get_paginated_response(RecipientSummarySerializer(page, many=True).data)
