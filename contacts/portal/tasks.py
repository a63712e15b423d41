"""Thin tasks: one service call. acks_late because each is idempotent (the purge deletes what is
spent; a sign-in code is claimed by a conditional update)."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, name="portal.purge")
def portal_purge() -> dict:
    return services.portal_purge()


@shared_task(acks_late=True, name="portal.signin_code_send")
def signin_code_send(code_id: int) -> bool:
    return services.signin_code_send(code_id=code_id)
