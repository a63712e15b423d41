"""Thin tasks: one service call. acks_late because the purge is idempotent."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, name="portal.purge")
def portal_purge() -> dict:
    return services.portal_purge()
