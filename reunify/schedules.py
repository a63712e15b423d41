"""reunify's periodic tasks, merged into config/celery.py's beat schedule."""

BEAT_SCHEDULE = {
    # Moves on from adults who did not answer; the wait itself is the case's (default 15 min).
    "reunify-outreach-tick": {"task": "reunify.outreach_tick", "schedule": 30.0},
}
