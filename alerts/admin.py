"""Admin: delivery status per message, filterable by status, channel, lane, failure reason and
cause (a case, a campaign). Read-only, and without bodies or full addresses (one-time codes and portal links live there)."""

from django.contrib import admin

from privacy.admin import ReadOnlyAdmin

from .models import InboundMessage, Message, Suppression


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "created_at",
        "recipient_person_id",
        "channel",
        "address_hint",
        "purpose",
        "template_key",
        "language",
        "lane",
        "status",
        "attempts",
        "error_code",
        "cause_type",
        "cause_id",
    ]
    list_filter = [
        "status",
        "channel",
        "lane",
        "error_code",
        "cause_type",
        "purpose",
        "language",
        "emergency",
    ]
    search_fields = ["=recipient_person_id", "=provider_id", "=cause_id", "template_key"]
    date_hierarchy = "created_at"
    fields = [
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
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "delivered_at",
        "failed_at",
        "provider_id",
        "error_code",
        "error",
        "fallback",
        "fallback_of",
        "reply_flow",
        "reply_ref",
        "cause_type",
        "cause_id",
    ]
    readonly_fields = fields
    list_select_related = False


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "received_at", "outcome", "in_reply_to"]
    list_filter = ["outcome"]
    fields = ["received_at", "provider_id", "outcome", "in_reply_to"]
    readonly_fields = fields


@admin.register(Suppression)
class SuppressionAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "keyword"]
    fields = ["created_at", "keyword"]
    readonly_fields = fields
