"""The Celery app. Safe defaults: a task is acknowledged after it ran only where it says it is
idempotent (`acks_late=True` on the task); a worker lost mid-task puts the task back; one task is
prefetched at a time so an emergency message never waits behind a worker's hoard."""

import os

from celery import Celery, signals

from alerts.schedules import BEAT_SCHEDULE as ALERTS_BEAT_SCHEDULE
from contacts.campaigns.schedules import BEAT_SCHEDULE as CAMPAIGNS_BEAT_SCHEDULE
from contacts.portal.schedules import BEAT_SCHEDULE as PORTAL_BEAT_SCHEDULE
from privacy.schedules import BEAT_SCHEDULE as PRIVACY_BEAT_SCHEDULE
from reunify.schedules import BEAT_SCHEDULE as REUNIFY_BEAT_SCHEDULE

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


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _redact_worker_logs(logger=None, **kwargs) -> None:
    """The worker replaces the root logger's handlers with its own (and the task logger gets
    one): they get the redacting filter too, so a task's traceback or a library's message
    never writes a phone number, address, code or token (privacy/logredact.py)."""
    from privacy.logredact import install

    if logger is not None:
        install(logger)


@signals.worker_init.connect
def _refuse_without_transports(**kwargs) -> None:
    """A worker outside the embedded install does not start without real transports (see
    alerts.conf.require_delivery_configured). SystemExit, not an exception: Celery logs and
    carries on past an exception raised by a signal handler."""
    from alerts.conf import delivery_problem

    problem = delivery_problem()
    if problem:
        raise SystemExit(problem)


# Periodic tasks defined in code live here, in one place. Districts add their own (campaigns)
# in the database through django-celery-beat.
app.conf.beat_schedule = {
    **ALERTS_BEAT_SCHEDULE,
    **PORTAL_BEAT_SCHEDULE,
    **PRIVACY_BEAT_SCHEDULE,
    **REUNIFY_BEAT_SCHEDULE,
    **CAMPAIGNS_BEAT_SCHEDULE,
}
