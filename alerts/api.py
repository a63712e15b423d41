"""Staff API: delivery status per message and per recipient, failures by reason.

District-wide roles only. Bodies and context are never exposed (they carry one-time codes and
portal links); addresses are shown as a hint (last two digits, first letter of an email)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from config.api import query_choice, query_id, query_text
from config.openapi import BAD_FILTER, choice_filter, errors, id_filter, text_filter
from privacy.roles import is_district_wide

from .models import Channel, ErrorCode, Lane, Message
from .selectors import message_summary, messages_visible_to, recipient_summaries

CHOICE_FILTERS = {
    "status": Message.Status,
    "channel": Channel,
    "lane": Lane,
    "error_code": ErrorCode,
}
TEXT_FILTERS = ("purpose", "template_key")
ID_FILTERS = ("recipient_person_id", "contact_point_id")
FILTER_PARAMETERS = [
    *(
        choice_filter(name, choices.values, f"Only messages of this {name}.")
        for name, choices in CHOICE_FILTERS.items()
    ),
    text_filter("purpose", "Only messages sent for this purpose."),
    text_filter("template_key", "Only messages rendered from this template."),
    id_filter("recipient_person_id", "Only messages to this adult."),
    id_filter("contact_point_id", "Only messages to this phone or email."),
]


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


def _filtered(request, messages):
    for name, choices in CHOICE_FILTERS.items():
        value = query_choice(request, name, choices.values)
        if value is not None:
            messages = messages.filter(**{name: value})
    for name in TEXT_FILTERS:
        value = query_text(request, name)
        if value is not None:
            messages = messages.filter(**{name: value})
    for name in ID_FILTERS:
        value = query_id(request, name)
        if value is not None:
            messages = messages.filter(**{name: value})
    return messages


@extend_schema_view(
    list=extend_schema(
        parameters=FILTER_PARAMETERS,
        responses={200: MessageOutputSerializer(many=True), **errors(400, 403, say=BAD_FILTER)},
    ),
    retrieve=extend_schema(responses={200: MessageOutputSerializer, **errors(403, 404)}),
)
class MessageViewSet(viewsets.ReadOnlyModelViewSet):
    """Outbound messages. The lists and the summary take the filters FILTER_PARAMETERS names."""

    serializer_class = MessageOutputSerializer
    permission_classes = [IsDistrictWide]

    def get_queryset(self):
        messages = messages_visible_to(self.request.user)
        # The filters narrow the lists and the summaries; a message by id is found whatever the
        # query string says, as in every other API of the project.
        return messages if self.detail else _filtered(self.request, messages)

    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses={200: SummarySerializer, **errors(400, 403, say=BAD_FILTER)},
    )
    @action(detail=False, methods=["get"])
    def summary(self, request):
        return Response(SummarySerializer(message_summary(self.get_queryset())).data)

    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses={
            200: RecipientSummarySerializer(many=True),
            **errors(400, 403, say=BAD_FILTER),
        },
    )
    @action(detail=False, methods=["get"])
    def recipients(self, request):
        page = self.paginate_queryset(recipient_summaries(self.get_queryset()))
        return self.get_paginated_response(RecipientSummarySerializer(page, many=True).data)
