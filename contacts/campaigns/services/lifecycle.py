"""Creating, launching, pausing, resuming and closing campaigns, and their recurring schedules.

Every function validates before it writes, writes in one transaction with its audit entry, and
enqueues work on commit. Status changes are conditional updates on the status the change starts
from, so two staff members pressing "launch" at once launch once and the second gets a 409.
"""

import json
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from contacts.models import School, Student
from privacy.errors import Conflict, DomainError
from privacy.services import audit_record

from ..models import CHANNELS, Campaign, Recipient
from ..selectors import campaign_guardians

Status = Campaign.Status
# The audit log's actor for what beat and the workers do on their own.
SYSTEM_ACTOR = "system:campaigns"


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError("name: a campaign needs a name.", code="required", field="name")
    if len(name) > 200:
        raise DomainError("name: at most 200 characters.", code="too_long", field="name")
    return name


def _check_channels(channels: Iterable[str]) -> list[str]:
    channels = list(channels or [])
    if not channels:
        raise DomainError(
            "channels: choose at least one channel.", code="required", field="channels"
        )
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise DomainError(
            f"channels: unknown channel {unknown[0]!r} (sms, email or voice).",
            code="unknown_channel",
            field="channels",
        )
    if len(set(channels)) != len(channels):
        raise DomainError(
            "channels: a channel is listed twice.", code="duplicate", field="channels"
        )
    return channels


def _check_times(opens_at: datetime, closes_at: datetime, reminder_days: Iterable[int]) -> list:
    for name, value in (("opens_at", opens_at), ("closes_at", closes_at)):
        if value is None:
            raise DomainError(f"{name}: required.", code="required", field=name)
        if timezone.is_naive(value):
            raise DomainError(
                f"{name}: give a time zone (for example 2025-08-15T08:00:00-05:00).",
                code="naive_time",
                field=name,
            )
    if closes_at <= opens_at:
        raise DomainError(
            "closes_at: the campaign must close after it opens.",
            code="closes_before_opens",
            field="closes_at",
        )
    days = list(reminder_days or [])
    if any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in days):
        raise DomainError(
            "reminder_days: each reminder is a whole number of days after opening, from 1.",
            code="invalid",
            field="reminder_days",
        )
    if len(set(days)) != len(days):
        raise DomainError(
            "reminder_days: a day is listed twice.", code="duplicate", field="reminder_days"
        )
    for day in days:
        if opens_at + timedelta(days=day) >= closes_at:
            raise DomainError(
                f"reminder_days: the reminder on day {day} would come after the campaign closes.",
                code="reminder_after_close",
                field="reminder_days",
            )
    return sorted(days)


def _check_scope(
    scope: str, school_ids: list[int], grades: list[str], student_ids: list[int]
) -> tuple[list[School], list[str], list[int]]:
    if scope not in Campaign.Scope.values:
        raise DomainError(
            "scope: choose district, schools, grades or students.",
            code="unknown_scope",
            field="scope",
        )
    school_ids = list(dict.fromkeys(school_ids or []))
    grades = list(dict.fromkeys(str(g).strip() for g in (grades or [])))
    student_ids = list(dict.fromkeys(student_ids or []))
    if scope == Campaign.Scope.DISTRICT and (school_ids or grades or student_ids):
        raise DomainError(
            "scope: a district campaign names no schools, grades or students.",
            code="invalid_scope",
            field="scope",
        )
    if scope == Campaign.Scope.SCHOOLS and not school_ids:
        raise DomainError("schools: choose at least one school.", code="empty", field="schools")
    if scope == Campaign.Scope.GRADES and not grades:
        raise DomainError("grades: choose at least one grade.", code="empty", field="grades")
    if scope == Campaign.Scope.STUDENTS and not student_ids:
        raise DomainError("students: choose at least one student.", code="empty", field="students")
    schools = list(School.objects.filter(pk__in=school_ids))
    if len(schools) != len(school_ids):
        missing = sorted(set(school_ids) - {s.pk for s in schools})
        raise DomainError(
            f"schools: no school with id {missing[0]}.", code="unknown_school", field="schools"
        )
    if grades:
        known = set(
            Student.objects.filter(active=True, grade__in=grades)
            .values_list("grade", flat=True)
            .distinct()
        )
        unknown = [g for g in grades if g not in known]
        if unknown:
            raise DomainError(
                f"grades: no active student is in grade {unknown[0]!r}.",
                code="unknown_grade",
                field="grades",
            )
    if student_ids:
        # In slices: SQLite binds at most 32,766 parameters in one statement.
        found = sum(
            Student.objects.filter(active=True, pk__in=student_ids[i : i + 10_000]).count()
            for i in range(0, len(student_ids), 10_000)
        )
        if found != len(student_ids):
            raise DomainError(
                "students: some of these students do not exist or are not active.",
                code="unknown_student",
                field="students",
            )
    return schools, grades, student_ids


def _snapshot(campaign: Campaign) -> dict:
    return {
        "name": campaign.name,
        "scope": campaign.scope,
        "grades": campaign.grades,
        "channels": campaign.channels,
        "opens_at": campaign.opens_at.isoformat(),
        "closes_at": campaign.closes_at.isoformat(),
        "reminder_days": campaign.reminder_days,
        "status": campaign.status,
    }


def campaign_create(
    *,
    actor,
    name: str,
    scope: str,
    channels: list[str],
    opens_at: datetime,
    closes_at: datetime,
    reminder_days: list[int] | None = None,
    school_ids: list[int] | None = None,
    grades: list[str] | None = None,
    student_ids: list[int] | None = None,
    recurring_from: Campaign | None = None,
    recurrence_key: str | None = None,
) -> Campaign:
    """A draft campaign. Raises DomainError naming the field for an empty or unknown scope, an
    unknown channel, a closing time not after the opening, or a reminder on or after closing;
    nothing is written then. With `recurrence_key` taken already, raises Conflict."""
    name = _check_name(name)
    channels = _check_channels(channels)
    days = _check_times(opens_at, closes_at, reminder_days or [])
    schools, grades, student_ids = _check_scope(
        scope, school_ids or [], grades or [], student_ids or []
    )
    user = actor if actor is not None and not isinstance(actor, str) else None
    try:
        with transaction.atomic():
            campaign = Campaign.objects.create(
                name=name,
                scope=scope,
                grades=grades,
                channels=channels,
                opens_at=opens_at,
                closes_at=closes_at,
                reminder_days=days,
                created_by=user,
                recurring_from=recurring_from,
                recurrence_key=recurrence_key,
            )
            campaign.schools.set(schools)
            if student_ids:
                through = Campaign.students.through
                through.objects.bulk_create(
                    [through(campaign_id=campaign.pk, student_id=pk) for pk in student_ids],
                    batch_size=1000,
                )
            audit_record(
                actor=actor,
                action="campaigns.campaign.created",
                obj=campaign,
                after={**_snapshot(campaign), "schools": [s.pk for s in schools]},
            )
    except IntegrityError as exc:
        if recurrence_key and Campaign.objects.filter(recurrence_key=recurrence_key).exists():
            raise Conflict(
                "recurrence: this schedule already started its campaign today.",
                code="already_started",
                field="recurrence",
            ) from exc
        raise
    return campaign


def _transition(
    *, actor, campaign: Campaign, allowed: tuple[str, ...], to: str, action: str, **fields
) -> Campaign:
    updated = Campaign.objects.filter(pk=campaign.pk, status__in=allowed).update(
        status=to, **fields
    )
    if not updated:
        campaign.refresh_from_db(fields=["status"])
        current = campaign.status
        if current == Status.CLOSED:
            raise Conflict("status: this campaign is closed.", code="closed", field="status")
        if to == Status.LAUNCHING:
            raise Conflict(
                "status: this campaign was launched already.",
                code="already_launched",
                field="status",
            )
        raise Conflict(
            f"status: a {current} campaign cannot be {to.replace('ing', 'ed')}.",
            code="wrong_status",
            field="status",
        )
    before = campaign.status
    campaign.refresh_from_db()
    audit_record(
        actor=actor,
        action=action,
        obj=campaign,
        before={"status": before},
        after=fields_json(fields),
    )
    return campaign


def fields_json(fields: dict) -> dict:
    """Audit-friendly values (times as ISO strings, users as ids)."""
    out = {}
    for key, value in fields.items():
        if isinstance(value, datetime):
            value = value.isoformat()
        elif hasattr(value, "pk"):
            value = value.pk
        out[key] = value
    return json.loads(json.dumps(out, default=str))


def _enqueue_fanout(campaign_id: int) -> None:
    from ..tasks import campaign_fanout

    transaction.on_commit(lambda: campaign_fanout.delay(campaign_id))


@transaction.atomic
def campaign_launch(*, actor, campaign: Campaign) -> Campaign:
    """Launch a draft: count its guardians and hand the fan-out to Celery, which writes the
    recipients, links and messages in chunks (returns at once). A campaign that opens later is
    fanned out by `tick` when it opens. Raises Conflict (409, field "status") for a campaign
    launched already or closed, DomainError (field "closes_at") for one whose closing time has
    passed, and DomainError (field "scope") when nobody is in scope."""
    now = timezone.now()
    if campaign.status == Status.DRAFT and campaign.closes_at <= now:
        raise DomainError(
            "closes_at: this campaign's closing time has passed.", code="closed", field="closes_at"
        )
    total = campaign_guardians(campaign).count() if campaign.status == Status.DRAFT else 0
    if campaign.status == Status.DRAFT and not total:
        raise DomainError(
            "scope: no guardian of an active student is in this campaign's scope.",
            code="empty_scope",
            field="scope",
        )
    user = actor if actor is not None and not isinstance(actor, str) else None
    campaign = _transition(
        actor=actor,
        campaign=campaign,
        allowed=(Status.DRAFT,),
        to=Status.LAUNCHING,
        action="campaigns.campaign.launched",
        launched_at=now,
        launched_by=user,
        guardians_total=total,
        audit_seen_id=_audit_high_water(),
    )
    if campaign.opens_at <= now:
        _enqueue_fanout(campaign.pk)
    return campaign


def _audit_high_water() -> int:
    from privacy.models import AuditEntry

    last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


@transaction.atomic
def campaign_pause(*, actor, campaign: Campaign) -> Campaign:
    """Stop fan-out and reminders until resumed. Raises Conflict unless launching or running."""
    return _transition(
        actor=actor,
        campaign=campaign,
        allowed=(Status.LAUNCHING, Status.RUNNING),
        to=Status.PAUSED,
        action="campaigns.campaign.paused",
    )


@transaction.atomic
def campaign_resume(*, actor, campaign: Campaign) -> Campaign:
    """Carry on a paused campaign: the fan-out where it stopped, then reminders as scheduled.
    Raises Conflict unless paused."""
    fanned_out = Campaign.objects.filter(pk=campaign.pk, fanout_done_at__isnull=False).exists()
    campaign = _transition(
        actor=actor,
        campaign=campaign,
        allowed=(Status.PAUSED,),
        to=Status.RUNNING if fanned_out else Status.LAUNCHING,
        action="campaigns.campaign.resumed",
    )
    if not fanned_out and campaign.opens_at <= timezone.now():
        _enqueue_fanout(campaign.pk)
    return campaign


@transaction.atomic
def campaign_close(*, actor, campaign: Campaign) -> Campaign:
    """Close a campaign: no more messages; every guardian who has not answered lands on their
    school office's call list. Raises Conflict (field "status") when already closed."""
    now = timezone.now()
    was_draft = campaign.status == Status.DRAFT
    campaign = _transition(
        actor=actor,
        campaign=campaign,
        allowed=(Status.DRAFT, Status.LAUNCHING, Status.RUNNING, Status.PAUSED),
        to=Status.CLOSED,
        action="campaigns.campaign.closed",
        closed_at=now,
    )
    if not was_draft:
        Recipient.objects.filter(
            campaign=campaign,
            responded_at__isnull=True,
            call_listed_at__isnull=True,
            shared_with__isnull=True,
        ).update(call_listed_at=now)
        from ..tasks import campaign_progress_refresh

        campaign_id = campaign.pk
        transaction.on_commit(lambda: campaign_progress_refresh.delay(campaign_id))
    return campaign
