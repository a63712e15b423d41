"""`python -m benchmarks tasklist`: a counselor's task list with 200 open tasks through the API
(`GET /api/v1/tasks/?limit=200`), in a seed_demo district (BENCH_STUDENTS). Reports the p95
latency (`p95_ms`, target < 100) and the queries of the list with 50 and with 200 tasks
(`queries_50`, `queries_200`, target equal). BENCH_SAMPLES requests (default 50)."""

import os
import time


def _give_tasks(counselor, count: int) -> list:
    """Open cases (as the lead) and hand their tasks to the bench counselor until they hold
    `count` open tasks. Returns the cases it opened."""
    from django.contrib.auth import get_user_model

    from contacts.models import StudentContact
    from privacy.errors import Conflict
    from reunify.models import CaseGuardian, Task
    from reunify.services import case_open

    lead = get_user_model().objects.get(username="lead")
    busy = CaseGuardian.objects.values("person_id")
    guardians = (
        StudentContact.objects.guardianships()
        .exclude(person_id__in=busy)
        .values_list("person_id", flat=True)
        .distinct()
        .order_by("person_id")
    )
    opened = []
    for guardian in guardians.iterator():
        have = Task.objects.filter(assignee=counselor, status__in=Task.ACTIVE).count()
        if have >= count:
            break
        try:
            case = case_open(actor=lead, guardian_ids=[guardian]).case
        except Conflict:  # the other parent's case already holds these children
            continue
        opened.append(case)
        missing = count - have
        ids = list(case.tasks.values_list("pk", flat=True)[:missing])
        Task.objects.filter(pk__in=ids).update(assignee=counselor)
    return opened


def run() -> dict:
    from benchmarks._reunify import p95, setup

    students = setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from privacy.roles import Role

    samples = int(os.environ.get("BENCH_SAMPLES", "50"))
    User = get_user_model()
    counselor, _ = User.objects.get_or_create(username="bench.counselor")
    counselor.groups.add(Group.objects.get_or_create(name=Role.COUNSELOR)[0])
    client = APIClient()
    client.force_authenticate(counselor)
    opened = _give_tasks(counselor, 50)
    client.get("/api/v1/tasks/?limit=200")
    # A capture's `captured_queries` reads the connection's query log when it is asked, and
    # every later request empties that log: count each capture as soon as it ends.
    with CaptureQueriesContext(connection) as capture:
        client.get("/api/v1/tasks/?limit=200")
    queries_50 = len(capture.captured_queries)
    opened += _give_tasks(counselor, 200)
    with CaptureQueriesContext(connection) as capture:
        body = client.get("/api/v1/tasks/?limit=200").json()
    queries_200 = len(capture.captured_queries)
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get("/api/v1/tasks/?limit=200")
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"task list failed: {response.status_code}")
    # Closed again, so that the next run (or case_single on the same district) finds every
    # family free.
    from reunify.services import case_close

    lead = User.objects.get(username="lead")
    for case in opened:
        case_close(actor=lead, case=case, note="bench")
    return {
        "name": "tasklist",
        "value": round(p95(timings), 1),
        "unit": "ms",
        "p95_ms": round(p95(timings), 1),
        "tasks": len(body["results"]),
        "queries_50": queries_50,
        "queries_200": queries_200,
        "students": students,
    }
