"""Release with chain of custody, the approvals a release may need, a guardian's one-time code
for an adult, and the school event's check-in queue and student accountability.

A release records HOW an adult's identity was confirmed, never the document: no number, no
document type and no issuing country, which could reveal nationality. Any government photo ID
of any country is "photo_id". Release, ReleaseApproval and ReleaseCorrection rows are never
edited (on PostgreSQL a trigger refuses an UPDATE): a mistake is corrected by a new
ReleaseCorrection that references the release. Every write goes through reunify.services.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from contacts.models import ContactPoint, Person

from .models import Case, CaseStudent


class Identity(models.TextChoices):
    # Any government-issued photo ID of any country: a foreign passport or a consular ID counts
    # exactly like a driver's licence. Which one it was is deliberately not recorded.
    PHOTO_ID = "photo_id", "Photo ID checked"
    OTHER_PHOTO_ID = "other_photo_id", "Other photo ID (work, school)"
    NO_PHOTO_ID = "no_photo_id", "No photo ID"


class IdentityEstablished(models.TextChoices):
    """How identity was established without a photo ID (needs a lead's approval)."""

    KNOWN_TO_STAFF = "known_to_staff", "Known to staff"
    GUARDIAN_CODE = "guardian_code", "Guardian's code"
    PHOTO_ON_FILE = "photo_on_file", "Photo on file"


class Authorization(models.TextChoices):
    """Why this adult (or the student alone) may take the student."""

    ALLOWED = "allowed", "Pickup allowed"
    STANDBY_CAREGIVER = "standby_caregiver", "Standby caregiver with a valid affidavit"
    OVERRIDE = "override", "Crisis lead's override"
    GUARDIAN_CODE = "guardian_code", "Legal guardian's one-time code"
    SELF_RELEASE = "self_release", "Older student leaving on their own"


class ReleaseApproval(models.Model):
    """A crisis lead's (or, for a self-release, an official's) recorded approval, with a reason:
    an override for an adult who is pending review, not allowed or on no list; a release
    without photo ID; a release after the student said "no" (the counselor and the lead talked
    with the student); an older student leaving alone. Never edited."""

    class Kind(models.TextChoices):
        OVERRIDE = "override", "Override of the pickup list"
        NO_PHOTO_ID = "no_photo_id", "Release without photo ID"
        STUDENT_HOLD = "student_hold", "Student's 'no' talked through"
        SELF_RELEASE = "self_release", "Student leaves on their own"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="release_approvals")
    case_student = models.ForeignKey(
        CaseStudent, on_delete=models.CASCADE, related_name="release_approvals"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The adult it is for (none for a self-release); an unlisted adult by name only.
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    adult_name = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=500)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField()

    class Meta:
        ordering = ["approved_at", "id"]
        indexes = [models.Index(fields=["case_student", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} approval {self.pk} for case student {self.case_student_id}"


class ReleaseCode(models.Model):
    """A legal guardian's one-time code authorizing one adult for their children in one case.
    Sent to a phone of the guardian already on file, never to a number typed at the desk. Only
    a keyed hash of the code is stored. Single use (confirmed once), expires after 30 minutes,
    locked after 5 wrong tries. A state row, not part of the custody record: its attempts and
    confirmation change."""

    class Via(models.TextChoices):
        SMS = "sms", "Guardian replied by SMS"
        STAFF = "staff", "Guardian told staff the code"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="release_codes")
    students = models.ManyToManyField(CaseStudent, related_name="release_codes")
    guardian = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    contact_point = models.ForeignKey(
        ContactPoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The adult the guardian is asked about: a person on file, or only a name.
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    adult_name = models.CharField(max_length=200)
    code_hash = models.CharField(max_length=64)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_via = models.CharField(max_length=8, choices=Via.choices, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    message_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "created_at"])]

    def __str__(self) -> str:
        return f"release code {self.pk} in case {self.case_id}"


class Release(models.Model):
    """A student handed over: to whom, why they were authorized, how identity was confirmed,
    who approved what, the student's own answer, the signature, who handed over and when. At
    most one per case student (a conditional unique constraint, besides the row lock of the
    service). Never edited; corrected by a ReleaseCorrection."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="releases")
    case_student = models.ForeignKey(CaseStudent, on_delete=models.CASCADE, related_name="releases")
    # The adult on file, or an unlisted adult known only by name; neither for a self-release.
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    adult_name = models.CharField(max_length=200, blank=True)
    authorization = models.CharField(max_length=20, choices=Authorization.choices)
    # The adult's pickup status for this student when released ("" for no link).
    pickup_status = models.CharField(max_length=16, blank=True)
    identity = models.CharField(max_length=16, choices=Identity.choices, blank=True)
    identity_established = models.CharField(
        max_length=16, choices=IdentityEstablished.choices, blank=True
    )
    student_comfortable = models.BooleanField()
    override = models.ForeignKey(
        ReleaseApproval, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    identity_approval = models.ForeignKey(
        ReleaseApproval, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hold_approval = models.ForeignKey(
        ReleaseApproval, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    self_release_approval = models.ForeignKey(
        ReleaseApproval, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    guardian_code = models.ForeignKey(
        ReleaseCode, null=True, blank=True, on_delete=models.PROTECT, related_name="releases"
    )
    # A PNG drawn on the tablet, as a data URL, or typed initials.
    signature_image = models.TextField(blank=True)
    signature_initials = models.CharField(max_length=12, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    identity_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    handed_over_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=120, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["handed_over_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case_student"], name="release_one_per_student"),
            models.CheckConstraint(
                condition=Q(authorization="self_release")
                | Q(person__isnull=False)
                | ~Q(adult_name=""),
                name="release_names_the_adult",
            ),
            models.CheckConstraint(
                condition=~Q(signature_image="") | ~Q(signature_initials=""),
                name="release_signed",
            ),
        ]
        indexes = [models.Index(fields=["case", "handed_over_at"])]

    def __str__(self) -> str:
        return f"release {self.pk} of case student {self.case_student_id}"

    @property
    def taken_by(self) -> str:
        if self.authorization == Authorization.SELF_RELEASE:
            return "the student, on their own"
        return self.adult_name or (self.person.display_name if self.person else "")


class ReleaseCorrection(models.Model):
    """A correction of a release record: what it says now and why, by whom. The release itself
    is never edited; readers apply its corrections in order."""

    # The fields a correction may change. Who took the child and when are what happened at
    # the desk: a mistake there is a note, not a rewrite.
    CORRECTABLE = ("adult_name", "identity", "identity_established", "signature_initials")

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="corrections")
    changes = models.JSONField()
    reason = models.CharField(max_length=500)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    corrected_at = models.DateTimeField()

    class Meta:
        ordering = ["corrected_at", "id"]

    def __str__(self) -> str:
        return f"correction {self.pk} of release {self.release_id}"


class EventCheckIn(models.Model):
    """An adult said ahead, from the link in a school event's notice (or at the desk), that
    they are coming for these children, arriving in about so many minutes. The desk's queue:
    it proves nothing by itself; identity and authorization are checked at release."""

    class Source(models.TextChoices):
        LINK = "link", "From the notice's link"
        DESK = "desk", "At the desk"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="checkins")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    students = models.ManyToManyField(CaseStudent, related_name="checkins")
    eta_minutes = models.PositiveSmallIntegerField()
    expected_at = models.DateTimeField()
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.LINK)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["expected_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "person"], name="checkin_one_per_adult"),
        ]

    def __str__(self) -> str:
        return f"check-in of person {self.person_id} in case {self.case_id}"


class Accounting(models.Model):
    """Staff accounted for a student of a school event: present at the site, absent that day,
    with a nurse, transported elsewhere. Append-only: the newest entry is where the student is."""

    class Status(models.TextChoices):
        PRESENT = "present", "Present at the site"
        ABSENT = "absent", "Absent that day"
        WITH_NURSE = "with_nurse", "With a nurse"
        TRANSPORTED = "transported", "Transported elsewhere"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="accountings")
    case_student = models.ForeignKey(
        CaseStudent, on_delete=models.CASCADE, related_name="accountings"
    )
    status = models.CharField(max_length=12, choices=Status.choices)
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["case", "case_student"])]

    def __str__(self) -> str:
        return f"{self.status} for case student {self.case_student_id}"
