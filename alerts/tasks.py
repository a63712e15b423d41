"""Thin tasks: ids in, one service call. acks_late because every one is idempotent: delivery
claims the row, the dispatcher claims rows, the sweeper's steps are conditional updates."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, name="alerts.message_deliver")
def message_deliver(message_id: int) -> str:
    return services.message_deliver(message_id=message_id)


@shared_task(acks_late=True, name="alerts.messages_enqueue")
def messages_enqueue(rows: list[list]) -> int:
    return services.messages_enqueue(rows=[tuple(row) for row in rows])


@shared_task(acks_late=True, name="alerts.messages_dispatch")
def messages_dispatch(channel: str) -> int:
    return services.messages_dispatch(channel=channel)


@shared_task(acks_late=True, name="alerts.messages_sweep")
def messages_sweep() -> dict:
    return services.messages_sweep()
