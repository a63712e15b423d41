"""Reads for the staff views. Message rows are visible to district-wide roles only (crisis
lead, data team, admin): a school's staff see delivery through the screens of the app that sent
the message, never the district's whole outbox."""

from django.db.models import Count, Max, Q, QuerySet

from privacy.roles import is_district_wide

from .models import Message


def messages_visible_to(actor) -> QuerySet[Message]:
    if not is_district_wide(actor):
        return Message.objects.none()
    return Message.objects.all()


def message_summary(messages: QuerySet[Message]) -> dict:
    """Counts by status and by channel, and failures by coded reason."""
    by_status = dict(
        messages.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    by_channel = dict(
        messages.order_by()
        .values_list("channel")
        .annotate(n=Count("id"))
        .values_list("channel", "n")
    )
    failures = dict(
        messages.filter(status=Message.Status.FAILED)
        .order_by()
        .values_list("error_code")
        .annotate(n=Count("id"))
        .values_list("error_code", "n")
    )
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_channel": by_channel,
        "failures_by_reason": failures,
    }


def message_counts_for(cause_type: str, cause_id: int) -> dict:
    """What one cause (a case, a campaign) has sent so far, for its timeline or progress bar:
    the total, counts by status, and failures by coded reason. One GROUP BY read from the
    (cause_type, cause_id, status, error_code) index alone. Not scoped to an actor: the caller
    has already loaded the cause through its own access helper."""
    rows = (
        Message.objects.filter(cause_type=cause_type, cause_id=cause_id)
        .order_by()
        .values_list("status", "error_code")
        .annotate(n=Count("*"))
    )
    by_status: dict[str, int] = {}
    by_error_code: dict[str, int] = {}
    for status, error_code, n in rows:
        by_status[status] = by_status.get(status, 0) + n
        if status == Message.Status.FAILED:
            by_error_code[error_code] = by_error_code.get(error_code, 0) + n
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_error_code": by_error_code,
    }


def recipient_summaries(messages: QuerySet[Message]) -> QuerySet:
    """One row per recipient person: how many messages, how many reached them, failed, pending,
    and when we last wrote to them."""
    status = Message.Status
    return (
        messages.filter(recipient_person_id__isnull=False)
        .order_by()
        .values("recipient_person_id")
        .annotate(
            total=Count("id"),
            delivered=Count("id", filter=Q(status=status.DELIVERED)),
            sent=Count("id", filter=Q(status=status.SENT)),
            failed=Count("id", filter=Q(status=status.FAILED)),
            pending=Count("id", filter=Q(status__in=[status.QUEUED, status.SENDING])),
            last_message_at=Max("created_at"),
        )
        .order_by("recipient_person_id")
    )
