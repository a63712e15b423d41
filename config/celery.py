"""The Celery app. Safe defaults: a task is acknowledged after it ran only where it says it is
idempotent (`acks_late=True` on the task); a worker lost mid-task puts the task back; one task is
prefetched at a time so an emergency message never waits behind a worker's hoard."""

import os

from celery import Celery

from alerts.schedules import BEAT_SCHEDULE as ALERTS_BEAT_SCHEDULE
from contacts.portal.schedules import BEAT_SCHEDULE as PORTAL_BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("reunify")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=False,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    # Longer than any task may run, so Redis does not redeliver a task that is still running.
    broker_transport_options={"visibility_timeout": 60 * 60 * 2},
    task_default_queue="default",
    broker_connection_retry_on_startup=True,
    # After a lost broker connection, Celery lowers the prefetch count and raises it back as
    # tasks finish; with a prefetch of 1 on Redis a worker can stay at 0 and stop consuming
    # after the broker returns (celery #8796, #9054). A worker must pick up again at once.
    worker_enable_prefetch_count_reduction=False,
)
app.autodiscover_tasks()


def _add_worker_steps() -> None:
    from alerts.watchdog import ConsumerWatchdog

    app.steps["consumer"].add(ConsumerWatchdog)


_add_worker_steps()

# Periodic tasks defined in code live here, in one place. Districts add their own (campaigns)
# in the database through django-celery-beat.
app.conf.beat_schedule = {**ALERTS_BEAT_SCHEDULE, **PORTAL_BEAT_SCHEDULE}
