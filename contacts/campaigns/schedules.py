"""Celery beat entries for campaigns, merged into the app's schedule in config/celery.py.
Recurring campaigns themselves are database schedules (django-celery-beat), edited in the admin."""

BEAT_SCHEDULE = {
    "campaigns.tick": {
        "task": "campaigns.tick",
        "schedule": 60.0,
        "options": {"queue": "default", "expires": 55.0},
    },
    # Keeps the campaign page's counts a few seconds fresh while messages go out.
    "campaigns.progress_refresh": {
        "task": "campaigns.progress_refresh",
        "schedule": 10.0,
        "options": {"queue": "default", "expires": 9.0},
    },
}
