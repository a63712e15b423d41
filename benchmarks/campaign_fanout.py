"""python -m benchmarks campaign_fanout: a district-wide campaign on a seed_demo district
(BENCH_STUDENTS, default 100,000 students, about 175k guardians) on PostgreSQL.

Phase 1 times launch → every recipient, personal link and outbox row committed and enqueued
(the fan-out service as the Celery task runs it, in this process, with the broker real and no
worker yet). The baseline is a raw COPY of exactly those rows into the same tables, measured in
the same run: the rows are copied out, deleted, and timed while COPY FROM STDIN writes them back.
`ratio` = COPY's time / the fan-out's time (target >= 0.35).

Phase 2 (BENCH_SEND=1, the default) starts the Twilio fake (10 ms latency) and one worker with
the rate limit off, and times until every SMS of the launch reached the fake (goal < 5 min).

DATABASE_URL defaults to a local `reunify_bench_campaigns`; CELERY_BROKER_URL to Redis db 6.
"""

import io
import os
import time

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/reunify_bench_campaigns"
DEFAULT_BROKER = "redis://127.0.0.1:6379/6"
TABLES = ("portal_portallink", "campaigns_recipient", "alerts_message")


def _setup() -> None:
    import benchmarks

    os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    os.environ.setdefault("CELERY_BROKER_URL", DEFAULT_BROKER)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("HTTPS", "0")
    benchmarks.setup_django()
    benchmarks.check_disposable_database()


def seed(students: int) -> int:
    from django.core.management import call_command
    from django.db import connection

    from contacts.models import Student

    if Student.objects.count() < students:
        call_command("seed_demo", students=students, seed=1, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return Student.objects.count()


def data_team_user():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from privacy.roles import Role

    user, _ = get_user_model().objects.get_or_create(username="bench.data.team")
    user.groups.add(Group.objects.get_or_create(name=Role.DATA_TEAM)[0])
    return user


def _empty() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE campaigns_reminder, campaigns_schoolprogress, campaigns_recipient, "
            "campaigns_campaign_schools, campaigns_campaign_students, campaigns_campaign, "
            "alerts_message, alerts_inboundmessage, portal_portallink CASCADE"
        )


def _copy_baseline(campaign_id: int) -> tuple[float, int]:
    """Copy the launch's rows out, delete them, and time COPY FROM STDIN writing them back."""
    from django.db import connection

    where = {
        "portal_portallink": f"issued_by = 'campaign:{campaign_id}'",
        "campaigns_recipient": f"campaign_id = {campaign_id}",
        "alerts_message": f"cause_type = 'campaigns.campaign' AND cause_id = {campaign_id}",
    }
    raw = connection.connection  # psycopg 3: COPY needs the driver's cursor
    dumps: dict[str, bytes] = {}
    with raw.cursor() as cursor:
        for table in TABLES:
            buffer = io.BytesIO()
            sql = f"COPY (SELECT * FROM {table} WHERE {where[table]}) TO STDOUT"  # noqa: S608
            with cursor.copy(sql) as copy:
                for chunk in copy:
                    buffer.write(chunk)
            dumps[table] = buffer.getvalue()
        rows = sum(d.count(b"\n") for d in dumps.values())
        for table in reversed(TABLES):
            cursor.execute(f"DELETE FROM {table} WHERE {where[table]}")  # noqa: S608
        raw.commit()
        start = time.perf_counter()
        for table in TABLES:
            with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(dumps[table])
        raw.commit()
        elapsed = time.perf_counter() - start
    return elapsed, rows


def _send_phase(sms: int) -> float:
    from benchmarks import _alerts_stack as stack
    from tests.fakes.twilio import RemoteFakeTwilio

    fake = RemoteFakeTwilio(latency=0.01)
    worker = stack.start_worker(fake, ALERTS_RATE_SMS="0")
    beat = stack.Beat()
    try:
        from alerts.services.outbox import kick_dispatch

        start = time.perf_counter()
        kick_dispatch("sms", parallel=2)
        deadline = time.monotonic() + 900
        while fake.created_count() < sms and time.monotonic() < deadline:
            beat.tick()
            time.sleep(0.5)
        return time.perf_counter() - start if fake.created_count() >= sms else float("nan")
    finally:
        stack.stop_worker(worker)
        fake.stop()


def run() -> dict:
    _setup()
    from django.utils import timezone

    from alerts.models import Message
    from benchmarks import _alerts_stack as stack
    from contacts.campaigns import services
    from contacts.campaigns.models import Campaign, Recipient

    students = seed(int(os.environ.get("BENCH_STUDENTS", "100000")))
    _empty()
    stack.purge_broker(os.environ["CELERY_BROKER_URL"])
    now = timezone.now()
    actor = data_team_user()
    campaign = services.campaign_create(
        actor=actor,
        name="Benchmark",
        scope="district",
        channels=["sms", "email", "voice"],
        opens_at=now,
        closes_at=now + timezone.timedelta(days=14),
        reminder_days=[3, 7],
    )
    start = time.perf_counter()
    campaign = services.campaign_launch(actor=actor, campaign=campaign)
    while services.campaign_fanout(campaign_id=campaign.pk):
        pass
    fanout_seconds = time.perf_counter() - start
    campaign = Campaign.objects.get(pk=campaign.pk)
    recipients = Recipient.objects.filter(campaign=campaign).count()
    messages = Message.objects.filter(cause_type="campaigns.campaign", cause_id=campaign.pk)
    sms = messages.filter(channel="sms").count()
    copy_seconds, rows = _copy_baseline(campaign.pk)
    result = {
        "value": round(rows / fanout_seconds),
        "unit": "rows/s",
        "baseline": round(rows / copy_seconds),
        "students": students,
        "recipients": recipients,
        "messages": messages.count(),
        "rows": rows,
        "fanout_seconds": round(fanout_seconds, 2),
        "rows_per_second": round(rows / fanout_seconds),
        "copy_seconds": round(copy_seconds, 2),
        "copy_rows_per_second": round(rows / copy_seconds),
        "ratio": round(copy_seconds / fanout_seconds, 3),
        "target_ratio": 0.35,
    }
    if os.environ.get("BENCH_SEND", "1") == "1":
        result["sms"] = sms
        result["send_seconds"] = round(_send_phase(sms), 1)
        result["send_goal_seconds"] = 300
    return result
