"""`python -m benchmarks case_single`: open a guardian-unavailable case through the API for
families of 1 to 6 children in a seed_demo district (BENCH_STUDENTS, default 100,000), one
family at a time; each case is closed again (untimed) so counselors keep room. Reports the p95
latency of an open (`p95_ms`, target < 250) and the queries of an open for 1 and for 6 children
(`queries_1`, `queries_6`, target equal). BENCH_SAMPLES opens per family size (default 10)."""

import os
import time


def _families(per_size: int) -> dict[int, list[int]]:
    """Guardian ids whose custodial children number 1..6 and who are in no open case."""
    from django.db.models import Count

    from contacts.models import StudentContact
    from reunify.models import CaseGuardian

    busy = CaseGuardian.objects.filter(open=True).values("person_id")
    counts = (
        StudentContact.objects.guardianships()
        .exclude(person_id__in=busy)
        .values("person_id")
        .annotate(n=Count("student_id"))
        .filter(n__lte=6)
        .order_by("person_id")
        .values_list("person_id", "n")
    )
    found: dict[int, list[int]] = {n: [] for n in range(1, 7)}
    for person_id, n in counts.iterator():
        if len(found[n]) < per_size:
            found[n].append(person_id)
        if all(len(v) >= per_size for v in found.values()):
            break
    return found


def _make_families(found: dict[int, list[int]], per_size: int, actor) -> None:
    """A seed_demo district has few guardians of 5 or 6 children: add the missing ones, each a
    new legal guardian (through the contacts services) of that many active students in
    different schools, siblings as the district's data would link them."""
    import random

    from contacts.models import Student
    from contacts.services import contact_point_add, person_create, student_contact_add
    from reunify.models import CaseStudent

    rng = random.Random(6)
    in_cases = CaseStudent.objects.filter(case__status="open").values("student_id")
    pool = list(
        Student.objects.filter(active=True)
        .exclude(pk__in=in_cases)
        .order_by("pk")
        .values_list("pk", "school_id")[:20000]
    )
    for size, guardians in found.items():
        while len(guardians) < per_size:
            children, schools = [], set()
            while len(children) < size:
                student_id, school_id = rng.choice(pool)
                if school_id not in schools or len(schools) >= 3:
                    children.append(student_id)
                    schools.add(school_id)
            parent = person_create(actor=actor, first_name="Bench", last_name=f"Family{size}")
            contact_point_add(
                actor=actor,
                person=parent,
                kind="phone",
                value=f"+131255501{rng.randrange(100):02d}",
            )
            for student in Student.objects.filter(pk__in=children):
                student_contact_add(
                    actor=actor,
                    student=student,
                    person=parent,
                    relationship="mother",
                    legal_guardian=True,
                    lives_with=True,
                    pickup_status="allowed",
                )
            guardians.append(parent.pk)


def run() -> dict:
    from benchmarks._reunify import p95, setup

    students = setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from reunify.models import Case
    from reunify.services import case_close

    samples = int(os.environ.get("BENCH_SAMPLES", "10"))
    lead = get_user_model().objects.get(username="lead")
    client = APIClient()
    client.force_authenticate(lead)
    client.get("/api/v1/cases/?limit=1")  # warm: roles, URL resolver, serializers
    families = _families(samples + 1)
    found_in_district = {n: len(v) for n, v in families.items()}
    admin = get_user_model().objects.get(username="admin")
    _make_families(families, samples + 1, admin)
    timings, queries = [], {}
    for size, guardians in sorted(families.items()):
        for i, guardian in enumerate(guardians):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.post("/api/v1/cases/", {"guardians": [guardian]}, format="json")
                elapsed = (time.perf_counter() - started) * 1000
            if response.status_code not in (200, 201):
                raise SystemExit(f"open failed: {response.status_code} {response.content[:300]}")
            if i:  # the first open of each size warms caches
                timings.append(elapsed)
            queries[size] = len(ctx.captured_queries)
            case_close(actor=lead, case=Case.objects.get(pk=response.json()["id"]), note="bench")
    return {
        "name": "case_single",
        "value": round(p95(timings), 1),
        "unit": "ms",
        "p95_ms": round(p95(timings), 1),
        "queries_1": queries.get(1),
        "queries_6": queries.get(6),
        "queries_by_children": queries,
        "opens": len(timings),
        "students": students,
        # Families of each size the seeded district had; the rest were added for the run.
        "families_found": found_in_district,
    }
