"""Privacy records: the tamper-evident audit and access logs, the FERPA record of disclosures,
requests from outside agencies and the documents they showed, and staff alert contacts.

privacy never imports contacts or reunify: students, people and schools are referred to by id.
"""

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChainedRow(models.Model):
    """A row of a hash chain (see privacy/chain.py): `seq` is its place in the chain, `row_hash`
    the hash of its content and of the previous row's hash (`prev_hash`). A row written by code
    that does not chain it (a single SQL statement on a hot path) has no seq until the sealer
    chains it; the database lets exactly that change through its append-only trigger."""

    seq = models.BigIntegerField(null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    row_hash = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        abstract = True


class ChainHead(models.Model):
    """The end of one hash chain. Writers lock this row (SELECT ... FOR UPDATE) for the rest of
    their transaction, so rows join the chain one transaction at a time."""

    name = models.CharField(max_length=40, primary_key=True)
    seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.name} @ {self.seq}"


class AuditEntry(ChainedRow):
    """Who changed what, when, with the state before and after. Written by services in the same
    transaction as the change; never updated or deleted."""

    # Set before the row is written (not auto_now_add), so its hash covers the stored value.
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who acted when it was not a staff user: "portal:person:12", "import:oneroster", "system".
    actor_label = models.CharField(max_length=120)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id"])]
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"


class AccessLogEntry(ChainedRow):
    """A staff member looked at a student's contacts or case. Append-only."""

    # Set before the row is written (not auto_now_add), so its hash covers the stored value.
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id"])]
        ordering = ["-at", "-id"]
        verbose_name_plural = "access log entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.object_type}:{self.object_id}"


class DisclosureBasis(models.TextChoices):
    """Why a student's information could be given to someone outside the school system
    (34 CFR 99.30, 99.31)."""

    PARENTAL_CONSENT = "parental_consent", _("Written consent of a parent")
    LISTED_CONTACT = (
        "listed_contact",
        _("A guardian listed them as an emergency or pickup contact"),
    )
    COURT_ORDER = "court_order", _("A court order")
    SUBPOENA = "subpoena", _("A lawful subpoena")
    HEALTH_SAFETY_EMERGENCY = "health_safety_emergency", _("A health or safety emergency")
    DIRECTORY = "directory", _("Directory information")


# Bases whose record must describe more than the basis itself: the articulable and significant
# threat (99.32(a)(5)) or the order or subpoena relied on.
BASES_NEEDING_DETAIL = frozenset(
    {DisclosureBasis.HEALTH_SAFETY_EMERGENCY, DisclosureBasis.COURT_ORDER, DisclosureBasis.SUBPOENA}
)


class Disclosure(models.Model):
    """FERPA's record of disclosures (34 CFR 99.32): one row per student per disclosure to a
    party outside the school system. Kept as long as the student's records are; the retention
    task never removes it. Written only by `disclosure_record`."""

    student_id = models.BigIntegerField(db_index=True)
    party = models.CharField(max_length=200)
    disclosed_at = models.DateTimeField(default=timezone.now)
    what = models.TextField()
    basis = models.CharField(max_length=32, choices=DisclosureBasis.choices)
    # The articulable threat (an emergency), or which order or subpoena.
    basis_detail = models.TextField(blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by_label = models.CharField(max_length=120)
    # What caused it, by app label and id ("reunify.release", 12): recording it twice for the
    # same cause and student returns the first record.
    source_type = models.CharField(max_length=60, blank=True)
    source_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-disclosed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_type", "source_id", "student_id"],
                condition=~models.Q(source_type=""),
                name="disclosure_once_per_source",
            ),
            models.CheckConstraint(
                condition=models.Q(basis__in=DisclosureBasis.values), name="disclosure_basis_known"
            ),
        ]

    def __str__(self) -> str:
        return f"disclosure {self.pk} of student {self.student_id}"


class AgencyRequest(models.Model):
    """An outside agency (an immigration officer, the police, a caseworker) asked the school for
    a student or a student's records. Recorded by the staff member at the desk, decided only by
    a legal officer; nothing is released before a decision."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        UNDER_REVIEW = "under_review", _("Under legal review")
        DECIDED = "decided", _("Decided")
        CLOSED = "closed", _("Closed")

    class Document(models.TextChoices):
        JUDICIAL_WARRANT = "judicial_warrant", _("Judicial warrant (signed by a judge)")
        ADMINISTRATIVE_WARRANT = (
            "administrative_warrant",
            _("Administrative warrant (signed by an agency officer)"),
        )
        SUBPOENA = "subpoena", _("Subpoena")
        COURT_ORDER = "court_order", _("Court order")
        NONE = "none", _("No document shown")
        OTHER = "other", _("Other document")

    class Outcome(models.TextChoices):
        GRANTED = "granted", _("Granted")
        GRANTED_IN_PART = "granted_in_part", _("Granted in part")
        DENIED = "denied", _("Denied")

    OPEN_STATUSES = (Status.RECEIVED, Status.UNDER_REVIEW)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    school_id = models.BigIntegerField(db_index=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    officer_name = models.CharField(max_length=200)
    badge_number = models.CharField(max_length=60, blank=True)
    agency = models.CharField(max_length=200)
    supervisor_phone = models.CharField(max_length=32, blank=True)
    purpose = models.TextField()
    records_requested = models.TextField(blank=True)
    document_kind = models.CharField(max_length=24, choices=Document.choices)
    document_other = models.CharField(max_length=200, blank=True)
    emergency_declared = models.BooleanField(default=False)
    notes = models.TextField(blank=True)

    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    decision_basis = models.TextField(blank=True)
    disclosure_basis = models.CharField(max_length=32, choices=DisclosureBasis.choices, blank=True)
    disclosed = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # The law forbids telling the family (e.g. a subpoena that orders non-disclosure).
    guardian_notice_forbidden = models.BooleanField(default=False)
    guardian_notice_reason = models.TextField(blank=True)
    guardians_notified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when retention anonymised the request: the officer's details and the notes are gone.
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "received_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="decided") | ~models.Q(outcome=""),
                name="agencyrequest_decided_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"agency request {self.pk} [{self.status}]"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class AgencyRequestStudent(models.Model):
    """A student the agency asked for (by id: privacy does not import contacts)."""

    request = models.ForeignKey(AgencyRequest, on_delete=models.CASCADE, related_name="students")
    student_id = models.BigIntegerField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "student_id"], name="agency_student_once")
        ]

    def __str__(self) -> str:
        return f"{self.request_id} → student {self.student_id}"


def documents_storage():
    """Where agency documents are kept: STORAGES["privacy_documents"], a private folder by
    default (never under MEDIA_URL or STATIC_URL); any storage backend in production."""
    from django.core.files.storage import storages

    return storages["privacy_documents"]


def document_path(instance: "AgencyDocument", filename: str) -> str:
    # A random name, written before the request row exists: the officer's file name is kept
    # only as a label.
    return f"agency/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{instance.extension}"


class AgencyDocument(models.Model):
    """A photo or scan of a document the officer showed. JPEG, PNG or PDF, checked by content."""

    request = models.ForeignKey(AgencyRequest, on_delete=models.PROTECT, related_name="documents")
    file = models.FileField(storage=documents_storage, upload_to=document_path, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    # Set when retention deleted the file: the row stays as the record that there was one.
    purged_at = models.DateTimeField(null=True, blank=True)

    EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"document {self.pk} of agency request {self.request_id}"

    @property
    def extension(self) -> str:
        return self.EXTENSIONS.get(self.content_type, "")


class StaffContact(models.Model):
    """How to reach a staff user at once, for alerts about agency requests: the mobile number
    for SMS (users have no phone field) and the language they read. Email comes from the user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_contact"
    )
    sms_phone = models.CharField(
        max_length=32,
        blank=True,
        validators=[
            RegexValidator(r"^\+[1-9]\d{6,14}$", "Write the number in E.164, e.g. +13125550123.")
        ],
    )
    language = models.CharField(max_length=16, default="en")

    def __str__(self) -> str:
        return f"staff contact of user {self.user_id}"
