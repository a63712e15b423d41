"""Import a generated OneRoster export into PostgreSQL, and compare with a raw COPY of the same
rows into the same tables, measured in the same run.

1. Generate a OneRoster 1.1 bulk export of BENCH_STUDENTS students (default 100,000; about 1.75
   guardians per student) with contacts.lib.synthetic (seed BENCH_SEED, default 1). Not timed.
2. Empty the contacts tables, then time `manage.py import_oneroster FOLDER --quiet`.
3. Dump the school, student, person, contact point and student-contact rows the import wrote
   (COPY ... TO STDOUT, into memory), empty the tables again, and time COPY ... FROM STDIN of
   exactly those rows into the same tables, indexes and constraints in place, in one
   transaction (commit included).

Both rates are over the same input: the data rows of orgs.csv + users.csv + enrollments.csv.
value = input rows / import seconds; baseline = input rows / COPY seconds;
ratio = value / baseline = COPY seconds / import seconds. Targets (issue 2): value >= 20,000
rows/s, ratio >= 0.15.
"""

import io
import os
import tempfile
from time import perf_counter

from . import check_disposable_database, setup_django

TARGET_ROWS_PER_SECOND = 20_000
TARGET_RATIO = 0.15


def run() -> dict:
    setup_django(postgres=True)
    check_disposable_database()

    from django.core.management import call_command
    from django.db import connection, transaction

    from contacts.lib.synthetic import generate_district
    from contacts.models import ContactPoint, Person, School, Student, StudentContact

    students = int(os.environ.get("BENCH_STUDENTS", "100000"))
    seed = int(os.environ.get("BENCH_SEED", "1"))
    # In foreign-key order, for COPY FROM.
    tables = [m._meta.db_table for m in (School, Student, Person, ContactPoint, StudentContact)]

    def truncate() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")

    with tempfile.TemporaryDirectory(prefix="bench-oneroster-") as tmp:
        started = perf_counter()
        files = generate_district(tmp, students=students, seed=seed, contacts=False)
        generate_seconds = perf_counter() - started
        input_rows = files.oneroster_rows

        truncate()
        started = perf_counter()
        call_command(
            "import_oneroster",
            str(files.oneroster_dir),
            quiet=True,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
        import_seconds = perf_counter() - started

    dumps: dict[str, bytes] = {}
    db_rows: dict[str, int] = {}
    with connection.cursor() as cursor:
        for table in tables:
            buffer = io.BytesIO()
            with cursor.cursor.copy(f"COPY {table} TO STDOUT") as copy:
                for chunk in copy:
                    buffer.write(chunk)
            dumps[table] = buffer.getvalue()
            cursor.execute(f"SELECT count(*) FROM {table}")
            db_rows[table] = cursor.fetchone()[0]

    truncate()
    started = perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table in tables:
            with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(dumps[table])
    copy_seconds = perf_counter() - started

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")
            copied = cursor.fetchone()[0]
            if copied != db_rows[table]:
                raise RuntimeError(f"COPY wrote {copied} rows to {table}, not {db_rows[table]}")

    value = input_rows / import_seconds
    baseline = input_rows / copy_seconds
    ratio = copy_seconds / import_seconds
    return {
        "name": "import_oneroster",
        "value": round(value, 1),
        "unit": "rows/s",
        "baseline": round(baseline, 1),
        "ratio": round(ratio, 4),
        "target": TARGET_ROWS_PER_SECOND,
        "target_ratio": TARGET_RATIO,
        "meets_targets": value >= TARGET_ROWS_PER_SECOND and ratio >= TARGET_RATIO,
        "students": files.students,
        "guardians": files.sis_adults,
        "schools": len(files.schools),
        "input_rows": input_rows,
        "db_rows": sum(db_rows.values()),
        "db_rows_by_table": db_rows,
        "import_seconds": round(import_seconds, 3),
        "copy_seconds": round(copy_seconds, 3),
        "generate_seconds": round(generate_seconds, 3),
        "database": connection.vendor,
    }
