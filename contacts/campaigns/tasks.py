"""Thin tasks: ids in, one service call. acks_late on all of them: each is idempotent (chunks
move a cursor under the campaign's row lock, reminders are claimed rows, snapshots upserts)."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, name="campaigns.campaign_fanout")
def campaign_fanout(campaign_id: int) -> bool:
    more = services.campaign_fanout(campaign_id=campaign_id)
    if more:
        campaign_fanout.delay(campaign_id)
    else:
        services.campaign_progress_refresh(campaign_id=campaign_id)
    return more


@shared_task(acks_late=True, name="campaigns.tick")
def tick() -> dict:
    return services.campaigns_tick()


@shared_task(acks_late=True, name="campaigns.progress_refresh")
def progress_refresh() -> int:
    return services.campaigns_progress_refresh()


@shared_task(acks_late=True, name="campaigns.campaign_recur")
def campaign_recur(template_id: int) -> int | None:
    campaign = services.campaign_recur(template_id=template_id)
    return campaign.pk if campaign else None


@shared_task(acks_late=True, name="campaigns.campaign_progress_refresh")
def campaign_progress_refresh(campaign_id: int) -> int:
    return services.campaign_progress_refresh(campaign_id=campaign_id)
