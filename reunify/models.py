"""Reunification cases: the affected students, their counselors and tasks, the pickup outreach
and the case's append-only timeline.

A case never says why a guardian is unavailable: there is no field, choice or free text for it.
Every write goes through reunify.services; these models hold fields, constraints and pure
properties only.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from contacts.models import Person, School, Student

# How long after a case closes its counselors still see its students (the follow-up).
COUNSELOR_VISIBILITY_AFTER_CLOSE_DAYS = 7


class CaseQuerySet(models.QuerySet):
    def open(self) -> "CaseQuerySet":
        return self.filter(status=Case.Status.OPEN)

    def real(self) -> "CaseQuerySet":
        """Cases that count: drills are left out of every real count and report."""
        return self.filter(drill=False)


class Case(models.Model):
    """A reunification case: a guardian-unavailable case names the unavailable adults
    (CaseGuardian) and covers every active child of theirs in every school; a school event covers
    a school's students. A drill runs exactly like a real case but never messages a family."""

    class Kind(models.TextChoices):
        GUARDIAN_UNAVAILABLE = "guardian_unavailable", "Guardian unavailable"
        SCHOOL_EVENT = "school_event", "School event"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    drill = models.BooleanField(default=False)
    # Only for a school event: the school evacuated.
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases_opened"
    )
    opened_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_closed",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # Why the case was closed ("all students released"), never why a guardian was absent.
    close_note = models.CharField(max_length=500, blank=True)
    # The client's Idempotency-Key: a retried request gives the same case.
    idempotency_key = models.CharField(max_length=120, unique=True, null=True, blank=True)
    # Minutes to wait for an adult's answer before asking the next one.
    outreach_wait_minutes = models.PositiveSmallIntegerField(default=15)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["status", "opened_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="school_event", school__isnull=False)
                | Q(kind="guardian_unavailable", school__isnull=True),
                name="case_school_only_for_events",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | Q(status="closed", closed_at__isnull=False),
                name="case_closed_at_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(outreach_wait_minutes__gte=1), name="case_wait_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{'DRILL ' if self.drill else ''}case {self.pk} ({self.get_kind_display()})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def number(self) -> str:
        """What pages, cards and messages call the case."""
        return f"{'DRILL-' if self.drill else ''}{self.pk}"


class CaseGuardian(models.Model):
    """An unavailable adult of a guardian-unavailable case. `open` mirrors the case's status so
    the database itself refuses a person in two open cases (a conditional unique constraint)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="guardians")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="case_guardianships")
    open = models.BooleanField(default=True)

    class Meta:
        ordering = ["case_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "person"], name="caseguardian_unique_pair"),
            models.UniqueConstraint(
                fields=["person"], condition=Q(open=True), name="caseguardian_one_open_case"
            ),
        ]

    def __str__(self) -> str:
        return f"person {self.person_id} in case {self.case_id}"


class CaseStudentQuerySet(models.QuerySet):
    def unsettled(self) -> "CaseStudentQuerySet":
        """Students still in the school's care: not released, placed or absent."""
        return self.exclude(status__in=CaseStudent.SETTLED)


class CaseStudent(models.Model):
    """One affected student of a case (unique per case), with the counselor assigned, where the
    student is in the reunification and when each step happened (the after-action report)."""

    class Status(models.TextChoices):
        IDENTIFIED = "identified", "Identified"
        WITH_COUNSELOR = "with_counselor", "With counselor"
        CHECKED_IN = "checked_in", "Checked in"
        ADULT_CONTACTED = "adult_contacted", "Adult contacted"
        ADULT_COMING = "adult_coming", "Adult coming"
        RELEASED = "released", "Released"
        PLACED = "placed", "Placed"
        ABSENT = "absent", "Absent"

    # Statuses after which the student no longer counts on a counselor's caseload.
    SETTLED = (Status.RELEASED, Status.PLACED, Status.ABSENT)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="students")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="case_entries")
    # Siblings of one family share a number within the case: one adult can come for all of them.
    family = models.PositiveSmallIntegerField(default=1)
    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_students",
    )
    # No counselor was free: the student waits in the crisis lead's queue.
    in_lead_queue = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IDENTIFIED)
    # Where the student was accounted for ("room 12", "gym"), and when.
    accounted_where = models.CharField(max_length=120, blank=True)
    accounted_at = models.DateTimeField(null=True, blank=True)
    identified_at = models.DateTimeField()
    with_counselor_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    adult_contacted_at = models.DateTimeField(null=True, blank=True)
    adult_coming_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    # The adult who said they are coming (release checks them again).
    coming_adult = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = CaseStudentQuerySet.as_manager()

    class Meta:
        ordering = ["case_id", "family", "student_id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "student"], name="casestudent_unique"),
        ]
        indexes = [
            models.Index(fields=["counselor", "status"]),
            models.Index(fields=["student", "case"]),
        ]

    def __str__(self) -> str:
        return f"student {self.student_id} in case {self.case_id} [{self.status}]"

    @property
    def settled(self) -> bool:
        return self.status in self.SETTLED


class CounselorProfile(models.Model):
    """A counselor: the schools they serve, the languages they speak (BCP 47 tags), how many
    unsettled students they may hold at once and whether they are on duty. `open_caseload` is
    kept by the services with conditional updates, so two cases opened at the same moment never
    push it past `caseload_cap`."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="counselor_profile"
    )
    schools = models.ManyToManyField(School, blank=True, related_name="counselors")
    languages = models.JSONField(default=list, blank=True)
    caseload_cap = models.PositiveSmallIntegerField(default=8)
    on_duty = models.BooleanField(default=True)
    open_caseload = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.CheckConstraint(condition=Q(caseload_cap__gte=1), name="counselor_cap_positive"),
        ]

    def __str__(self) -> str:
        return f"counselor profile of user {self.user_id}"

    @property
    def room(self) -> int:
        return max(0, self.caseload_cap - self.open_caseload)


class Task(models.Model):
    """Work on one case student: check in, reach an adult, release, follow up, offer support, or
    the lead's tasks (nobody reachable, no counselor free). `version` grows with each change:
    claims and completions are conditional updates on it, so two people cannot both complete a
    task."""

    class Kind(models.TextChoices):
        CHECK_IN = "check_in", "Check in with the student"
        REACH_ADULT = "reach_adult", "Reach a pickup adult"
        RELEASE = "release", "Verify ID and release"
        FOLLOW_UP = "follow_up", "Follow up next school day"
        SUPPORT = "support", "Offer support resources"
        NOBODY_REACHABLE = "nobody_reachable", "Nobody reachable"
        ASSIGN_COUNSELOR = "assign_counselor", "No counselor free"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.OPEN, Status.IN_PROGRESS)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    case_student = models.ForeignKey(CaseStudent, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reunify_tasks",
    )
    # 1 = most urgent.
    priority = models.PositiveSmallIntegerField(default=3)
    due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    notes = models.TextField(blank=True)
    # Machine data for the task (the attempts of a "nobody reachable" task).
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["priority", F("due_at").asc(nulls_last=True), "id"]
        indexes = [
            models.Index(fields=["assignee", "status", "priority", "due_at"]),
            models.Index(fields=["case_student", "kind"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case_student", "kind"],
                condition=Q(status__in=["open", "in_progress"]),
                name="task_one_active_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(status="done", completed_at__isnull=False)
                | ~Q(status="done") & Q(completed_at__isnull=True),
                name="task_completed_at_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"task {self.pk} {self.kind} [{self.status}]"

    @property
    def active(self) -> bool:
        return self.status in self.ACTIVE


class Outreach(models.Model):
    """One adult asked to pick up one or more siblings of a case, in order. At most one adult of
    a family is being asked at a time (a conditional unique constraint), so a periodic tick run
    twice never asks two adults at once or one adult twice."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        ASKED = "asked", "Asked"
        COMING = "coming", "Coming"
        DECLINED = "declined", "Declined"
        NO_ANSWER = "no_answer", "No answer"
        UNREACHABLE = "unreachable", "Unreachable"

    # Statuses that mean this adult was tried and will not come.
    TRIED = (Status.DECLINED, Status.NO_ANSWER, Status.UNREACHABLE)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="outreach")
    family = models.PositiveSmallIntegerField(default=1)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    students = models.ManyToManyField(CaseStudent, related_name="outreach")
    order = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    # The unavailable guardian's standby caregiver (their preparedness plan), tried first.
    standby = models.BooleanField(default=False)
    # Pickup pending review: asked after the allowed adults; releasing needs a lead's override.
    pending_review = models.BooleanField(default=False)
    channel = models.CharField(max_length=8, blank=True)
    asked_at = models.DateTimeField(null=True, blank=True)
    moves_on_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # alerts Message ids that asked this adult.
    message_ids = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["case_id", "family", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "family", "person"], name="outreach_unique_adult"
            ),
            models.UniqueConstraint(
                fields=["case", "family", "order"], name="outreach_unique_order"
            ),
            models.UniqueConstraint(
                fields=["case", "family"],
                condition=Q(status="asked"),
                name="outreach_one_asked_per_family",
            ),
        ]
        indexes = [models.Index(fields=["status", "moves_on_at"])]

    def __str__(self) -> str:
        return f"outreach {self.pk} to person {self.person_id} [{self.status}]"


class TimelineEntry(models.Model):
    """What happened in a case, append-only: who, when, an action code and a short text. The
    source of the dashboard's history and of the after-action report."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    case_student = models.ForeignKey(
        CaseStudent, null=True, blank=True, on_delete=models.CASCADE, related_name="timeline"
    )
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # "system", "reply", "tick" when no staff member acted.
    actor_label = models.CharField(max_length=120)
    action = models.CharField(max_length=60)
    text = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"])]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"case {self.case_id} {self.action}"


class SupportResource(models.Model):
    """A community, legal-aid, counselling or food/housing resource the district lists, with its
    text in each of the district's languages. Edited in the admin."""

    class Category(models.TextChoices):
        COMMUNITY = "community", "Community"
        LEGAL_AID = "legal_aid", "Legal aid"
        COUNSELLING = "counselling", "Counselling"
        FOOD_HOUSING = "food_housing", "Food and housing"

    category = models.CharField(max_length=16, choices=Category.choices)
    name = models.CharField(max_length=120)
    text_en = models.CharField(max_length=300)
    text_es = models.CharField(max_length=300, blank=True)
    text_ar = models.CharField(max_length=300, blank=True)
    text_vi = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.CharField(max_length=300, blank=True)
    link = models.URLField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "name"]

    def __str__(self) -> str:
        return self.name

    def text_in(self, language: str) -> str:
        """The text in `language` (its primary subtag), English when it has none."""
        primary = (language or "en").split("-")[0].lower()
        return getattr(self, f"text_{primary}", "") or self.text_en


class Placement(models.Model):
    """An alternative placement (e.g. county child welfare) the lead recorded, with a reason,
    after every adult was tried. Never edited."""

    case_student = models.OneToOneField(
        CaseStudent, on_delete=models.PROTECT, related_name="placement"
    )
    placed_with = models.CharField(max_length=200)
    reason = models.CharField(max_length=500)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"placement of case student {self.case_student_id}"


# The release, its approvals and codes, and the school event's check-ins and accountability.
from .models_release import (  # noqa: E402, F401
    Accounting,
    Authorization,
    EventCheckIn,
    Identity,
    IdentityEstablished,
    Release,
    ReleaseApproval,
    ReleaseCode,
    ReleaseCorrection,
)
