"""The portal's periodic tasks, merged into the one beat schedule in config/celery.py."""

BEAT_SCHEDULE = {
    "portal.purge": {
        "task": "portal.purge",
        "schedule": 3600.0,
        "options": {"queue": "default", "expires": 3000.0},
    },
}
