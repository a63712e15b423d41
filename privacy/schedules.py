"""Celery beat entries for privacy, merged into the app's schedule in config/celery.py."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Rows written outside the chain (the portal's one-statement confirm-all) join it within a
    # minute.
    "privacy.audit_seal": {
        "task": "privacy.audit_seal",
        "schedule": 60.0,
        "options": {"expires": 55.0},
    },
    # Retention: documents, agency requests, spent codes' and links' message bodies, and the
    # purges other apps registered (privacy/services/retention.py). Nightly, when nobody works.
    "privacy.retention_run": {
        "task": "privacy.retention_run",
        "schedule": crontab(hour=3, minute=17),
    },
}
