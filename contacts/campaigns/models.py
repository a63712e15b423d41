"""Verification campaigns: who is asked to confirm their children's contacts, how, and who answered.

A campaign writes one Recipient per guardian in its scope (one message covers all their children;
a phone shared by two guardians carries one message, the second recipient points at the first
through `shared_with`). Reminders are rows under a unique (recipient, number) constraint, so two
ticks running at once can never send one reminder twice. Progress per school is a snapshot
(SchoolProgress) refreshed by a task, so the campaign page reads a few rows, never 175k.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from contacts.models import ContactPoint, Person, School, Student
from contacts.portal.models import PortalLink

CHANNELS = ("sms", "email", "voice")


class Campaign(models.Model):
    class Scope(models.TextChoices):
        DISTRICT = "district", "Whole district"
        SCHOOLS = "schools", "Some schools"
        GRADES = "grades", "Some grades"
        # A targeted campaign: exactly the families of these students (from the readiness report).
        STUDENTS = "students", "Chosen students"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        LAUNCHING = "launching", "Launching"
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=200)
    scope = models.CharField(max_length=10, choices=Scope.choices)
    schools = models.ManyToManyField(School, blank=True, related_name="+")
    # Grade codes as the SIS writes them ("K", "03"); empty: every grade.
    grades = models.JSONField(default=list, blank=True)
    students = models.ManyToManyField(Student, blank=True, related_name="+")
    # In order of preference, e.g. ["sms", "email", "voice"].
    channels = models.JSONField(default=list)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    # Days after opening, ascending, e.g. [3, 7].
    reminder_days = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    launched_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The recurring template this campaign was started from (django-celery-beat), if any.
    recurring_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="recurrences"
    )
    # "<template id>:<date>" for a campaign a schedule started: a second beat firing the same
    # day finds it taken and starts nothing.
    recurrence_key = models.CharField(max_length=40, unique=True, null=True, blank=True)
    # Fan-out: how many guardians are in scope, how many recipients are written, and the last
    # guardian id written (chunks go by id, so a re-run resumes and never writes one twice).
    guardians_total = models.PositiveIntegerField(default=0)
    recipients_written = models.PositiveIntegerField(default=0)
    fanout_cursor = models.BigIntegerField(default=0)
    fanout_done_at = models.DateTimeField(null=True, blank=True)
    # Portal changes are read from the audit log: entries above this id have not been seen yet.
    audit_seen_id = models.BigIntegerField(default=0)
    progress_refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="campaign_closes_after_opens"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "launching", "running", "paused", "closed"]),
                name="campaign_status_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def fanout_percent(self) -> int:
        if self.fanout_done_at is not None:
            return 100
        if not self.guardians_total:
            return 0
        return min(99, self.recipients_written * 100 // self.guardians_total)

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.LAUNCHING, self.Status.RUNNING)


class Recipient(models.Model):
    """One guardian asked by one campaign."""

    class Response(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed in the portal"
        UPDATED = "updated", "Updated in the portal"
        SMS_YES = "sms_yes", "Replied YES"
        PHONE_CONFIRMED = "phone_confirmed", "Confirmed by phone"
        PHONE_UPDATED = "phone_updated", "Updated by phone"
        WRONG_NUMBER = "wrong_number", "Wrong number"
        NO_ANSWER = "no_answer", "No answer"
        # Another guardian on the same phone answered for both.
        SHARED = "shared", "Answered on a shared phone"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    # The school of the guardian's first child in scope: where the guardian is counted and on
    # whose office's call list they land (a family is called once, not by every school).
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    children = models.PositiveSmallIntegerField(default=0)
    # "" when the guardian has no reachable contact point on any of the campaign's channels.
    channel = models.CharField(max_length=8, blank=True)
    contact_point = models.ForeignKey(
        ContactPoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when another recipient of this campaign has the same phone or email: that one's
    # message covers both guardians, this one gets none.
    shared_with = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="sharers"
    )
    link = models.ForeignKey(
        PortalLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    response = models.CharField(max_length=16, choices=Response.choices, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    call_listed_at = models.DateTimeField(null=True, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["campaign_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="recipient_unique_person")
        ]
        indexes = [
            models.Index(fields=["campaign", "responded_at"]),
            models.Index(fields=["campaign", "school", "call_listed_at"]),
        ]

    def __str__(self) -> str:
        return f"recipient {self.pk} of campaign {self.campaign_id}"

    @property
    def pending(self) -> bool:
        return self.responded_at is None


class Reminder(models.Model):
    """A reminder owed to one recipient. The unique (recipient, number) row is written before any
    message, with ON CONFLICT DO NOTHING, and claimed with a conditional update: however many
    ticks run at once, one of them sends it."""

    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="reminders")
    number = models.PositiveSmallIntegerField()  # 1 = the first reminder
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True, db_index=True)
    # "" when nothing was sent: the guardian had no reachable channel left at that time.
    channel = models.CharField(max_length=8, blank=True)
    link = models.ForeignKey(
        PortalLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "number"], name="reminder_unique_number")
        ]

    def __str__(self) -> str:
        return f"reminder {self.number} of recipient {self.recipient_id}"


class SchoolOffice(models.Model):
    """The school office's phone number, read out in voice messages (a call cannot carry a link)."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="office")
    phone = models.CharField(max_length=20)

    def __str__(self) -> str:
        return f"office of {self.school_id}"


class SchoolProgress(models.Model):
    """A campaign's counts for one school, as of `refreshed_at` (campaign_progress_refresh)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="progress")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    recipients = models.PositiveIntegerField(default=0)
    no_channel = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # {error code: count}
    failed_by_reason = models.JSONField(default=dict, blank=True)
    opened = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    opted_out = models.PositiveIntegerField(default=0)
    call_list = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField()

    class Meta:
        ordering = ["school__name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "school"], name="progress_unique_school")
        ]

    def __str__(self) -> str:
        return f"progress of campaign {self.campaign_id} at {self.school_id}"

    @property
    def responded(self) -> int:
        return self.confirmed + self.updated
