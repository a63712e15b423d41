"""Staff API: delivery status per message and per recipient, failures by reason.

District-wide roles only. Bodies and context are never exposed (they carry one-time codes and
portal links); addresses are shown as a hint (last two digits, first letter of an email)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from config.api import query_choice, query_id, query_text
from config.openapi import BAD_FILTER, choice_filter, errors, id_filter, text_filter
from privacy.permissions import names_an_object
from privacy.roles import is_district_wide

from .models import Channel, ErrorCode, Lane, Message
from .selectors import message_summary, messages_visible_to, recipient_summaries
from .services.outbox import CAUSE_TYPE, CAUSE_TYPE_PATTERN

CHOICE_FILTERS = {
    "status": Message.Status,
    "channel": Channel,
    "lane": Lane,
    "error_code": ErrorCode,
}
TEXT_FILTERS = ("purpose", "template_key")
ID_FILTERS = ("recipient_person_id", "contact_point_id")
CAUSE_FILTERS = ("cause_type", "cause_id")
# What a list may be asked besides its filters: the paginator's and DRF's format override.
LIST_PARAMETERS = ("limit", "offset", "format")
KNOWN_PARAMETERS = frozenset(
    [*CHOICE_FILTERS, *TEXT_FILTERS, *ID_FILTERS, *CAUSE_FILTERS, *LIST_PARAMETERS]
)
FILTER_PARAMETERS = [
    *(
        choice_filter(name, choices.values, f"Only messages of this {name}.")
        for name, choices in CHOICE_FILTERS.items()
    ),
    text_filter("purpose", "Only messages sent for this purpose."),
    text_filter("template_key", "Only messages rendered from this template."),
    id_filter("recipient_person_id", "Only messages to this adult."),
    id_filter("contact_point_id", "Only messages to this phone or email."),
    OpenApiParameter(
        "cause_type",
        {"type": "string", "pattern": CAUSE_TYPE_PATTERN},
        description='Only messages caused by this kind of thing: "reunify.case", '
        '"campaigns.campaign" (an app label and a model name).',
    ),
    id_filter("cause_id", "Only messages caused by this case or campaign (needs cause_type)."),
]


class IsDistrictWide(BasePermission):
    """The outbox is the district-wide roles'. Anyone else gets a 403 on the lists and a 404 on
    one message, like every object they may not see."""

    def has_permission(self, request, view) -> bool:
        if is_district_wide(request.user):
            return True
        if request.user.is_authenticated and names_an_object(view):
            raise NotFound
        return False


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
            "reply_flow",
            "cause_type",
            "cause_id",
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
    unknown = sorted(set(request.query_params) - KNOWN_PARAMETERS)
    if unknown:
        raise exceptions.ValidationError(
            {name: ["is not a filter of this list."] for name in unknown}
        )
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
    cause_type = query_text(request, "cause_type")
    if cause_type is not None:
        if not CAUSE_TYPE.fullmatch(cause_type):
            raise exceptions.ValidationError(
                {"cause_type": ["must be an app label and a model name, e.g. reunify.case."]}
            )
        messages = messages.filter(cause_type=cause_type)
    cause_id = query_id(request, "cause_id")
    if cause_id is not None:
        if cause_type is None:
            raise exceptions.ValidationError({"cause_id": ["needs cause_type."]})
        messages = messages.filter(cause_id=cause_id)
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
