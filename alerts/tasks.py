from celery import shared_task

from . import services


@shared_task(acks_late=True)
def message_deliver(message_id: int) -> None:
    services.message_deliver(message_id=message_id)
