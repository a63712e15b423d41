"""The outbox. A Message row is written in the same transaction as the business change that
causes it, then enqueued on commit; a worker claims it with a conditional update."""

from django.db import models
from django.db.models import Q


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    VOICE = "voice", "Voice"
    EMAIL = "email", "Email"


class Lane(models.TextChoices):
    # Each lane is its own Celery queue, so a one-time code or a case message never waits behind
    # a campaign backlog.
    EMERGENCY = "emergency", "Emergency"
    DEFAULT = "default", "Default"
    BULK = "bulk", "Bulk (campaigns)"


class Fallback(models.TextChoices):
    NONE = "none", "No fallback"
    CHANNEL = "channel", "Next channel of the same person"
    CONTACT = "contact", "Next channel, then next contact"


class ErrorCode(models.TextChoices):
    INVALID_ADDRESS = "invalid_address", "Invalid number or address"
    LANDLINE = "landline", "Cannot receive SMS"
    OPTED_OUT = "opted_out", "Recipient opted out"
    BOUNCED = "bounced", "Email bounced"
    REJECTED = "rejected", "Rejected by the provider"
    UNDELIVERED = "undelivered", "Provider could not deliver"
    PROVIDER_ERROR = "provider_error", "Provider error"
    THROTTLED = "throttled", "Provider throttled"
    TIMEOUT = "timeout", "Provider timed out"
    NETWORK = "network", "Network error"
    RETRIES_EXHAUSTED = "retries_exhausted", "Gave up after retries"
    NO_TRANSPORT = "no_transport", "No transport configured"


# Failures that say the contact point itself is bad; they mark it and trigger fallback.
CONTACT_POINT_FAILURES = frozenset(
    {ErrorCode.INVALID_ADDRESS, ErrorCode.LANDLINE, ErrorCode.OPTED_OUT, ErrorCode.BOUNCED}
)


class Message(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # alerts never imports contacts: the recipient is referred to by id.
    recipient_person_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    contact_point_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    address = models.CharField(max_length=254)
    purpose = models.CharField(max_length=40)
    template_key = models.CharField(max_length=80)
    language = models.CharField(max_length=16, default="en")
    # Kept so a fallback message can be rendered again in the next recipient's language.
    context = models.JSONField(default=dict, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    emergency = models.BooleanField(default=False)
    lane = models.CharField(max_length=10, choices=Lane.choices, default=Lane.DEFAULT)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When a task for this message was last handed to the broker; the sweeper re-enqueues a
    # queued message only once this is older than the grace period.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The last attempt may have reached the provider without us learning the outcome (worker
    # killed, timeout): ask the provider before sending again.
    in_doubt = models.BooleanField(default=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=64, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=160, unique=True)
    error_code = models.CharField(max_length=40, blank=True, choices=ErrorCode.choices)
    error = models.CharField(max_length=300, blank=True)
    fallback = models.CharField(max_length=8, choices=Fallback.choices, default=Fallback.CHANNEL)
    # Opaque data for the next-contact resolver (e.g. {"student_id": 7}); never shown to staff.
    fallback_context = models.JSONField(default=dict, blank=True)
    fallback_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="fallbacks"
    )
    # [contact_point_id, channel, person_id] for this message and every one it falls back from,
    # so the chain never loops back to a contact point it already tried.
    tried = models.JSONField(default=list, blank=True)
    # The flow that owns replies to this message (e.g. "reunify.pickup"); see alerts.registry.
    reply_flow = models.CharField(max_length=60, blank=True)
    # A short reference the recipient may quote in a reply ("YES 4821") to name this message
    # among several waiting for a reply from the same number; see alerts.registry.
    reply_ref = models.CharField(max_length=12, blank=True)
    # What caused the message, by the owning app's label and id (e.g. "reunify.case", 12, or
    # "contacts.campaign", 3), so a case's timeline or a campaign's progress counts its messages
    # with an index. alerts never follows it.
    cause_type = models.CharField(max_length=40, blank=True)
    cause_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # A cause's counts by status and failure reason read from the index alone.
            models.Index(
                fields=["cause_type", "cause_id", "status", "error_code"],
                name="message_cause_counts",
            ),
            models.Index(fields=["status", "lane", "channel", "next_attempt_at"]),
            models.Index(fields=["status", "claimed_at"]),
            models.Index(fields=["purpose", "status"]),
            models.Index(fields=["address", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=["sms", "voice", "email"]), name="message_channel_known"
            ),
            models.CheckConstraint(
                condition=Q(lane__in=["emergency", "default", "bulk"]), name="message_lane_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.template_key} [{self.status}]"

    @property
    def address_hint(self) -> str:
        """What staff screens show instead of the address: enough to tell two apart."""
        if "@" in self.address:
            local, _, domain = self.address.partition("@")
            return f"{local[:1]}…@{domain}"
        return f"…{self.address[-2:]}"


class Suppression(models.Model):
    """An address that replied STOP. Kept by alerts itself so a send is refused even before the
    app that owns the contact point has recorded the opt-out."""

    address = models.CharField(max_length=254, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    keyword = models.CharField(max_length=20)

    def __str__(self) -> str:
        return f"suppression {self.pk}"


class InboundMessage(models.Model):
    class Outcome(models.TextChoices):
        OPTED_OUT = "opted_out", "Opted out (STOP)"
        OPTED_IN = "opted_in", "Opted in (START)"
        HELP = "help", "Help requested"
        ROUTED = "routed", "Handed to its flow"
        UNROUTED = "unrouted", "No flow waiting for a reply"

    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Twilio retries a webhook it thinks failed; the sid makes the second delivery a no-op.
    provider_id = models.CharField(max_length=64, unique=True)
    from_address = models.CharField(max_length=254)
    body = models.TextField(blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    in_reply_to = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"inbound {self.pk} [{self.outcome}]"
