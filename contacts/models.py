"""Schools, students, adults, their phones and emails, and who each adult is to each student.

StudentContact follows Ed-Fi's StudentContactAssociation. A family is derived, never stored:
the students connected through shared guardians.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class School(models.Model):
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    timezone = models.CharField(max_length=64, default="America/Chicago")
    sis_id = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StudentQuerySet(models.QuerySet):
    def children_of(self, person_ids) -> "StudentQuerySet":
        """The active students these people are a custodial legal guardian of (siblings in
        every school): `StudentContact.objects.children_ids_of`. `person_ids` is an id, a list of
        ids or a queryset of ids."""
        return self.filter(pk__in=StudentContact.objects.children_ids_of(person_ids))


class Student(models.Model):
    sis_id = models.CharField(max_length=64, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="students")
    grade = models.CharField(max_length=8, blank=True)
    home_language = models.CharField(max_length=16, default="en")
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StudentQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [models.Index(fields=["school", "active"])]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.sis_id})"

    @property
    def display_name(self) -> str:
        return f"{self.preferred_name or self.first_name} {self.last_name}"


class PersonQuerySet(models.QuerySet):
    def guardians_of(self, student_ids) -> "PersonQuerySet":
        """The custodial legal guardians of these students: the adults who may sign in to the
        portal for them and who are told of changes. `student_ids` is an id, a list of ids or a
        queryset of ids."""
        if isinstance(student_ids, int):
            student_ids = [student_ids]
        links = StudentContact.objects.guardianships().filter(student_id__in=student_ids)
        return self.filter(pk__in=links.values("person_id"))


class Person(models.Model):
    """An adult: a guardian or another contact. Never a user account."""

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_language = models.CharField(max_length=16, default="en")  # BCP 47
    sis_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ContactPointQuerySet(models.QuerySet):
    def reachable(self) -> "ContactPointQuerySet":
        """Contact points a message may be sent to: not known invalid, not opted out."""
        return self.filter(status__in=ContactPoint.REACHABLE_STATUSES)


class ContactPoint(models.Model):
    class Kind(models.TextChoices):
        PHONE = "phone", "Phone"
        EMAIL = "email", "Email"

    class Label(models.TextChoices):
        MOBILE = "mobile", "Mobile"
        HOME = "home", "Home"
        WORK = "work", "Work"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", "Unverified"
        VERIFIED = "verified", "Verified"
        INVALID = "invalid", "Invalid"
        OPTED_OUT = "opted_out", "Opted out"

    # The statuses a message may be sent to; `reachable` and `objects.reachable()` both use it.
    REACHABLE_STATUSES = (Status.UNVERIFIED, Status.VERIFIED)

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # E.164 for a phone, lower-case for an email.
    value = models.CharField(max_length=254)
    label = models.CharField(max_length=8, choices=Label.choices, default=Label.MOBILE)
    sms_capable = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UNVERIFIED)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_failure = models.CharField(max_length=200, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    # Where it came from: an SIS import may remove what the SIS gave, never what a parent added.
    source = models.CharField(max_length=8, default="staff")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContactPointQuerySet.as_manager()

    class Meta:
        ordering = ["person_id", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind", "value"], name="contactpoint_unique_value"
            ),
            models.CheckConstraint(
                condition=Q(kind="phone", value__startswith="+")
                | Q(kind="email", value__contains="@"),
                name="contactpoint_value_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind="phone") | Q(sms_capable=False), name="contactpoint_sms_only_phone"
            ),
        ]
        # Looked up by value alone: sign-in, inbound STOP, import matching.
        indexes = [models.Index(fields=["value"], name="contactpoint_value")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_label_display()}) of person {self.person_id}"

    @property
    def reachable(self) -> bool:
        return self.status in self.REACHABLE_STATUSES


class StudentContactQuerySet(models.QuerySet):
    def guardianships(self) -> "StudentContactQuerySet":
        """The links of a custodial legal guardian to an active student: legal guardian and not
        barred from the child. The one definition of "the guardians of a student" and "the
        children of a guardian"; stated without a negation so that it applies to the very link it
        sits beside even inside a filter across a multi-valued relation."""
        return self.filter(
            legal_guardian=True,
            student__active=True,
            pickup_status__in=StudentContact.CUSTODIAL_PICKUP,
        )

    def children_ids_of(self, person_ids) -> "StudentContactQuerySet":
        """The ids of the children of these people (the students of their `guardianships`, so
        active ones only), as a values queryset: a subquery inside another filter, a list of
        {"student_id": ...} when read. `person_ids` is an id, a list of ids or a queryset of
        ids. The rule behind `Student.objects.children_of`, for queries that need only the ids
        (one subquery less)."""
        if isinstance(person_ids, int):
            person_ids = [person_ids]
        return self.guardianships().filter(person_id__in=person_ids).values("student_id")


class StudentContact(models.Model):
    class Relationship(models.TextChoices):
        MOTHER = "mother", "Mother"
        FATHER = "father", "Father"
        PARENT = "parent", "Parent"
        GUARDIAN = "guardian", "Guardian"
        STEPPARENT = "stepparent", "Stepparent"
        GRANDPARENT = "grandparent", "Grandparent"
        AUNT_UNCLE = "aunt_uncle", "Aunt or uncle"
        SIBLING = "sibling", "Adult sibling"
        RELATIVE = "relative", "Other relative"
        FOSTER = "foster", "Foster parent"
        FRIEND = "friend", "Family friend"
        NEIGHBOR = "neighbor", "Neighbor"
        CAREGIVER = "caregiver", "Caregiver"
        OTHER = "other", "Other"

    class Pickup(models.TextChoices):
        ALLOWED = "allowed", "Allowed"
        PENDING = "pending_review", "Pending review"
        NOT_ALLOWED = "not_allowed", "Not allowed"
        # A court order or other restriction: never release to this adult.
        PROHIBITED = "prohibited", "Prohibited"

    class Source(models.TextChoices):
        SIS = "sis", "SIS"
        PORTAL = "portal", "Parent portal"
        STAFF = "staff", "Staff"

    # Every pickup status but prohibited: a legal guardian with a restriction on record (a court
    # order) is no longer treated as a guardian of that child anywhere.
    CUSTODIAL_PICKUP = (Pickup.ALLOWED, Pickup.PENDING, Pickup.NOT_ALLOWED)

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="contacts")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="student_links")
    relationship = models.CharField(max_length=16, choices=Relationship.choices)
    legal_guardian = models.BooleanField(default=False)
    lives_with = models.BooleanField(default=False)
    # 1 = call first; empty = not an emergency contact.
    emergency_priority = models.PositiveSmallIntegerField(null=True, blank=True)
    pickup_status = models.CharField(
        max_length=16, choices=Pickup.choices, default=Pickup.NOT_ALLOWED
    )
    receives_notifications = models.BooleanField(default=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.STAFF)
    verified_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StudentContactQuerySet.as_manager()

    class Meta:
        ordering = ["student_id", models.F("emergency_priority").asc(nulls_last=True), "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "person"], name="studentcontact_unique_pair"
            ),
            models.UniqueConstraint(
                fields=["student", "emergency_priority"],
                condition=Q(emergency_priority__isnull=False),
                name="studentcontact_unique_priority",
            ),
            models.CheckConstraint(
                condition=Q(emergency_priority__isnull=True) | Q(emergency_priority__gte=1),
                name="studentcontact_priority_positive",
            ),
            # A prohibited adult is never someone the school calls to take the child.
            models.CheckConstraint(
                condition=~Q(pickup_status="prohibited") | Q(emergency_priority__isnull=True),
                name="studentcontact_prohibited_not_emergency",
            ),
        ]
        indexes = [models.Index(fields=["person", "student"])]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.student_id} ({self.relationship})"


class StaffMembership(models.Model):
    """Which school a school-staff user works at (a user may work at several)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="schools"
    )
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="staff")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "school"], name="staffmembership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.school_id}"
