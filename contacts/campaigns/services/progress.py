"""Per-school progress snapshots, so the campaign page reads one row per school.

Two aggregate queries per refresh: the recipients grouped by school, and the campaign's outbox
messages (found by their indexed cause) grouped by the school of the recipient they went to.
"""

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from alerts.models import Message
from contacts.models import ContactPoint

from ..fanout import CAUSE_TYPE
from ..models import Campaign, Recipient, SchoolProgress

Response = Recipient.Response
CONFIRMED = (
    Response.CONFIRMED,
    Response.SMS_YES,
    Response.PHONE_CONFIRMED,
    Response.SHARED,
)
UPDATED = (Response.UPDATED, Response.PHONE_UPDATED)
FIELDS = (
    "recipients",
    "no_channel",
    "sent",
    "delivered",
    "failed",
    "failed_by_reason",
    "opened",
    "confirmed",
    "updated",
    "opted_out",
    "call_list",
    "refreshed_at",
)


def campaign_progress_refresh(*, campaign_id: int) -> int:
    """Recount a campaign's progress per school and store it. Returns the number of schools.
    Idempotent; two refreshes at once each write a consistent snapshot (an upsert per row)."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return 0
    now = timezone.now()
    recipients = (
        Recipient.objects.filter(campaign=campaign)
        .values("school_id")
        .annotate(
            recipients=Count("pk", distinct=True),
            no_channel=Count("pk", filter=Q(channel=""), distinct=True),
            opened=Count(
                "pk",
                filter=Q(link__used_at__isnull=False) | Q(reminders__link__used_at__isnull=False),
                distinct=True,
            ),
            confirmed=Count("pk", filter=Q(response__in=CONFIRMED), distinct=True),
            updated=Count("pk", filter=Q(response__in=UPDATED), distinct=True),
            opted_out=Count(
                "pk", filter=Q(contact_point__status=ContactPoint.Status.OPTED_OUT), distinct=True
            ),
            call_list=Count(
                "pk",
                filter=Q(call_listed_at__isnull=False, responded_at__isnull=True),
                distinct=True,
            ),
        )
        .order_by()
    )
    rows: dict[int, SchoolProgress] = {}
    for row in recipients:
        school_id = row.pop("school_id")
        rows[school_id] = SchoolProgress(
            campaign=campaign, school_id=school_id, refreshed_at=now, failed_by_reason={}, **row
        )
    school_of = Recipient.objects.filter(
        campaign_id=OuterRef("cause_id"), person_id=OuterRef("recipient_person_id")
    ).values("school_id")[:1]
    messages = (
        Message.objects.filter(cause_type=CAUSE_TYPE, cause_id=campaign.pk)
        .annotate(school=Subquery(school_of))
        .values("school", "status", "error_code")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in messages:
        progress = rows.get(row["school"])
        if progress is None:
            continue
        status, n = row["status"], row["n"]
        if status in (Message.Status.SENT, Message.Status.DELIVERED):
            progress.sent += n
        if status == Message.Status.DELIVERED:
            progress.delivered += n
        if status == Message.Status.FAILED:
            progress.failed += n
            reason = row["error_code"] or "unknown"
            progress.failed_by_reason[reason] = progress.failed_by_reason.get(reason, 0) + n
    SchoolProgress.objects.bulk_create(
        list(rows.values()),
        update_conflicts=True,
        unique_fields=["campaign", "school"],
        update_fields=list(FIELDS),
        batch_size=500,
    )
    Campaign.objects.filter(pk=campaign.pk).update(progress_refreshed_at=now)
    return len(rows)
