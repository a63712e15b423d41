"""`python -m benchmarks case_mass`: a 2,000-student school event in a seed_demo district
(BENCH_STUDENTS, default 100,000) on PostgreSQL, with a real Celery worker delivering to the
Twilio fake in its own process.

Reports: `commit_s`, the open through the API (`POST /api/v1/cases/` with kind school_event)
until its response, the transaction committed and every notice handed to the broker (target
< 2 s); `notices_s`, from the open until the Twilio fake has received every guardian's notice;
then BENCH_RELEASES (default 2,000) releases through the API one after another,
`release_p95_ms` (target < 150) and the queries of each release (`queries_per_release`: the
distinct counts seen, target one value; the last release also closes the case and is reported
apart).

Database: DATABASE_URL (default the local `reunify_bench_release`), broker: CELERY_BROKER_URL (default
Redis db 8). The event school ("BENCH-EVENT", BENCH_EVENT_STUDENTS students with one guardian
each) is added to the district once and reused; nothing is truncated."""

import os
import time

EVENT_SCHOOL = "BENCH-EVENT"


def _event_school(size: int):
    from contacts.models import ContactPoint, Person, School, Student, StudentContact

    school, _ = School.objects.get_or_create(
        code=EVENT_SCHOOL, defaults={"name": "Benchmark High School", "address": "1 Bench Rd"}
    )
    have = Student.objects.filter(school=school, active=True).count()
    if have >= size:
        return school
    people = Person.objects.bulk_create(
        [Person(first_name=f"Guardian{i}", last_name="Bench") for i in range(have, size)],
        batch_size=1000,
    )
    ContactPoint.objects.bulk_create(
        [
            ContactPoint(
                person=p,
                kind="phone",
                value=f"+1202{7000000 + p.pk % 3000000:07d}",
                sms_capable=True,
            )
            for p in people
        ],
        batch_size=1000,
    )
    students = Student.objects.bulk_create(
        [
            Student(
                sis_id=f"BENCH{i:06d}",
                first_name=f"Student{i}",
                last_name="Bench",
                school=school,
                grade=str(9 + i % 4),
            )
            for i in range(have, size)
        ],
        batch_size=1000,
    )
    StudentContact.objects.bulk_create(
        [
            StudentContact(
                student=s,
                person=p,
                relationship="mother",
                legal_guardian=True,
                lives_with=True,
                emergency_priority=1,
                pickup_status="allowed",
            )
            for s, p in zip(students, people, strict=True)
        ],
        batch_size=1000,
    )
    return school


def run() -> dict:
    os.environ.setdefault(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/reunify_bench_release"
    )
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/8")
    os.environ.setdefault("SECRET_KEY", "benchmark")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"  # notices go through the broker to a worker
    from benchmarks import _alerts_stack as stack
    from benchmarks._reunify import p95, setup

    students = setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from alerts.models import Message
    from contacts.models import StudentContact
    from privacy.roles import Role
    from reunify.models import Case
    from reunify.services import case_close
    from tests.fakes.twilio import RemoteFakeTwilio

    size = int(os.environ.get("BENCH_EVENT_STUDENTS", "2000"))
    count = int(os.environ.get("BENCH_RELEASES", str(size)))
    school = _event_school(size)
    lead = get_user_model().objects.filter(groups__name=Role.CRISIS_LEAD).first()
    for case in Case.objects.open().filter(school=school):
        case_close(actor=lead, case=case, note="benchmark: the previous run's event")
    fake = RemoteFakeTwilio(latency=0.0)
    stack.purge_broker(os.environ["CELERY_BROKER_URL"])
    worker = stack.start_worker(fake, ALERTS_RATE_SMS="0")
    try:
        time.sleep(3)  # worker boot is not part of the measurement
        client = APIClient()
        client.force_authenticate(lead)
        client.get("/api/v1/cases/?limit=1")  # warm: roles, URL resolver, serializers
        sent_before = fake.created_count()
        started = time.perf_counter()
        response = client.post(
            "/api/v1/cases/",
            {"kind": "school_event", "school": school.pk, "site": "Bench Stadium"},
            format="json",
        )
        commit_s = time.perf_counter() - started
        if response.status_code != 201:
            raise SystemExit(f"open failed: {response.status_code} {response.content[:300]}")
        case_id = response.json()["id"]
        notified = response.json()["guardians_notified"]
        deadline = time.monotonic() + 900
        while fake.created_count() - sent_before < notified and time.monotonic() < deadline:
            time.sleep(0.2)
        notices_s = time.perf_counter() - started
        delivered = fake.created_count() - sent_before
        case = Case.objects.get(pk=case_id)
        taker = dict(
            StudentContact.objects.filter(student__school=school).values_list(
                "student_id", "person_id"
            )
        )
        order = list(case.students.order_by("pk").values_list("student_id", flat=True))[:count]
        timings, queries, last = [], [], None
        url = f"/api/v1/cases/{case_id}/releases/"
        for i, student_id in enumerate(order):
            body = {
                "student": student_id,
                "person": taker[student_id],
                "identity": "photo_id",
                "student_comfortable": True,
                "signature": "AB",
            }
            # A capture that starts with the connection's query log full (9,000) counts
            # nothing: start each from an empty log.
            reset_queries()
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                reply = client.post(url, body, format="json")
                elapsed = (time.perf_counter() - t0) * 1000
            if reply.status_code != 201:
                raise SystemExit(f"release failed: {reply.status_code} {reply.content[:300]}")
            if i == len(order) - 1 and count >= size:
                last = len(ctx.captured_queries)  # the last one also closes the case
            else:
                queries.append(len(ctx.captured_queries))
            timings.append(elapsed)
        failed = Message.objects.filter(cause_id=case_id, status=Message.Status.FAILED).count()
    finally:
        stack.stop_worker(worker)
        fake.stop()
    return {
        "name": "case_mass",
        "value": round(commit_s, 3),
        "unit": "s",
        "commit_s": round(commit_s, 3),
        "notices_s": round(notices_s, 2),
        "guardians_notified": notified,
        "notices_at_fake": delivered,
        "notices_failed": failed,
        "releases": len(timings),
        "release_p95_ms": round(p95(timings), 1) if timings else None,
        "release_median_ms": round(sorted(timings)[len(timings) // 2], 1) if timings else None,
        "queries_per_release": sorted(set(queries)),
        "queries_last_release": last,
        "event_students": size,
        "students": students,
    }
