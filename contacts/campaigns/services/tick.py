"""The periodic pass over every open campaign, and recurring campaigns started by beat.

`tick` is safe to run twice at once (two beat processes by mistake): every step is a conditional
update or an insert under a unique constraint, so the second pass finds nothing left to do.
"""

import json
import logging
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from privacy.errors import Conflict, DomainError

from ..models import Campaign
from .delivery import call_list_fill, reminders_send
from .lifecycle import SYSTEM_ACTOR, campaign_close, campaign_create, campaign_launch
from .progress import campaign_progress_refresh
from .responses import portal_answers_collect

logger = logging.getLogger(__name__)
Status = Campaign.Status
RECUR_TASK = "campaigns.campaign_recur"


def campaigns_tick(*, now: datetime | None = None) -> dict:
    """For every launched campaign not closed: start a fan-out whose opening time has come,
    collect the portal's answers, send due reminders, fill the call lists after the last
    reminder, close what is past its closing time, and refresh the progress counts."""
    from ..tasks import campaign_fanout

    now = now or timezone.now()
    done = {"reminded": 0, "answered": 0, "call_listed": 0, "closed": 0}
    open_campaigns = Campaign.objects.filter(
        status__in=[Status.LAUNCHING, Status.RUNNING, Status.PAUSED]
    ).order_by("pk")
    for campaign in open_campaigns:
        done["answered"] += portal_answers_collect(campaign_id=campaign.pk, now=now)
        if campaign.closes_at <= now:
            try:
                campaign_close(actor=SYSTEM_ACTOR, campaign=campaign)
                done["closed"] += 1
            except Conflict:
                pass  # another tick closed it a moment ago
        elif campaign.status == Status.LAUNCHING and campaign.opens_at <= now:
            campaign_fanout.delay(campaign.pk)
        elif campaign.status == Status.RUNNING:
            done["reminded"] += reminders_send(campaign_id=campaign.pk, now=now)
            done["call_listed"] += call_list_fill(campaign_id=campaign.pk, now=now)
        campaign_progress_refresh(campaign_id=campaign.pk)
    return done


def campaigns_progress_refresh() -> int:
    """Collect answers and recount progress of the campaigns sending now (often, for the page)."""
    count = 0
    for campaign_id in Campaign.objects.filter(
        status__in=[Status.LAUNCHING, Status.RUNNING]
    ).values_list("pk", flat=True):
        portal_answers_collect(campaign_id=campaign_id)
        campaign_progress_refresh(campaign_id=campaign_id)
        count += 1
    return count


@transaction.atomic
def campaign_schedule_recurring(
    *, actor, campaign: Campaign, month: int, day: int, hour: int = 8
) -> PeriodicTask:
    """Start a copy of `campaign` every year on this month and day (local time of the district),
    through a django-celery-beat database schedule the admin can edit or disable."""
    try:
        date(2024, month, day)  # a leap year, so February 29 is allowed
    except (TypeError, ValueError) as exc:
        raise DomainError("day: not a day of the year.", code="invalid", field="day") from exc
    if not 0 <= hour <= 23:
        raise DomainError("hour: from 0 to 23.", code="invalid", field="hour")
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour=str(hour),
        day_of_month=str(day),
        month_of_year=str(month),
        day_of_week="*",
        timezone=timezone.get_default_timezone_name(),
    )
    task, _ = PeriodicTask.objects.update_or_create(
        name=f"campaign {campaign.pk} every {month:02d}-{day:02d}",
        defaults={
            "task": RECUR_TASK,
            "crontab": schedule,
            "args": json.dumps([campaign.pk]),
            "enabled": True,
        },
    )
    from privacy.services import audit_record

    audit_record(
        actor=actor,
        action="campaigns.campaign.scheduled",
        obj=campaign,
        after={"month": month, "day": day, "hour": hour, "periodic_task": task.pk},
    )
    return task


def campaign_recur(*, template_id: int, now: datetime | None = None) -> Campaign | None:
    """Start this year's copy of a recurring campaign: the same scope, channels and reminder
    days, open now for as long as the template was open, and launch it. A second call the same
    day (two beats) starts nothing: the copy's recurrence key is unique."""
    now = now or timezone.now()
    template = Campaign.objects.filter(pk=template_id).first()
    if template is None:
        return None
    length = template.closes_at - template.opens_at
    today = timezone.localdate(now)
    try:
        copy = campaign_create(
            actor=SYSTEM_ACTOR,
            name=f"{template.name} {today.isoformat()}",
            scope=template.scope,
            channels=template.channels,
            opens_at=now,
            closes_at=now + max(length, timedelta(days=1)),
            reminder_days=[d for d in template.reminder_days if timedelta(days=d) < length],
            school_ids=list(template.schools.values_list("pk", flat=True)),
            grades=template.grades,
            student_ids=list(template.students.values_list("pk", flat=True)),
            recurring_from=template,
            recurrence_key=f"{template.pk}:{today.isoformat()}",
        )
    except Conflict:
        return None
    return campaign_launch(actor=SYSTEM_ACTOR, campaign=copy)
