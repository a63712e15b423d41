"""Celery beat entries for alerts, merged into the app's schedule in config/celery.py.

The sweeper runs on the emergency queue: it must not wait behind a campaign backlog, since it is
what recovers a lost emergency message."""

BEAT_SCHEDULE = {
    "alerts.messages_sweep": {
        "task": "alerts.messages_sweep",
        "schedule": 15.0,
        "options": {"queue": "emergency", "expires": 14.0},
    },
}
