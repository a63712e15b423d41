"""Thin Celery tasks: they call a service. `outreach_tick` is idempotent (every step is a
conditional update under the case's lock), so acks_late and a second beat are harmless."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, name="reunify.outreach_tick")
def outreach_tick() -> dict:
    return services.outreach_tick()
