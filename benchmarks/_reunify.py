"""What the reunify benchmarks share: a seed_demo district on PostgreSQL (BENCH_STUDENTS,
default 100,000, in the `reunify_bench_cases` database unless DATABASE_URL says otherwise) with
reunify's demo counselors, and the p95 of a list of timings."""

import os

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/reunify_bench_cases"


def setup() -> int:
    import benchmarks

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("HTTPS", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
    # Messages of the benchmark go nowhere but the console transport's log.
    os.environ.setdefault("ALERTS_TRANSPORT_SMS", "console")
    os.environ.setdefault("ALERTS_TRANSPORT_VOICE", "console")
    os.environ.setdefault("ALERTS_TRANSPORT_EMAIL", "console")
    benchmarks.setup_django()
    benchmarks.check_disposable_database()
    from django.core.management import call_command
    from django.db import connection

    from contacts.models import Student

    students = int(os.environ.get("BENCH_STUDENTS", "100000"))
    if Student.objects.count() < students:
        call_command("seed_demo", students=students, seed=1, verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    call_command("seed_reunify_demo", verbosity=0)
    return Student.objects.count()


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
