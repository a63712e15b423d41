"""The outbox. A Message row is written in the same transaction as the business change that
causes it, then enqueued on commit; a worker claims it with a conditional update."""

from django.db import models
from django.db.models import Q


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    VOICE = "voice", "Voice"
    EMAIL = "email", "Email"


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
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    emergency = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    error_code = models.CharField(max_length=40, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["purpose", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=["sms", "voice", "email"]), name="message_channel_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.template_key} [{self.status}]"
