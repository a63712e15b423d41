"""python -m benchmarks readiness: the district-wide readiness report (every school, as the data
team sees it) on a seed_demo district of BENCH_STUDENTS (default 100,000) students on
PostgreSQL. `seconds` is the best of BENCH_RUNS (default 3) runs of the report's queries
(target < 3 s); `first_seconds` the first, cold run.

DATABASE_URL defaults to the same local `reunify_bench_campaigns` as campaign_fanout."""

import os
import time

from benchmarks.campaign_fanout import _setup, data_team_user, seed


def run() -> dict:
    _setup()
    from contacts.campaigns.readiness import readiness_report

    students = seed(int(os.environ.get("BENCH_STUDENTS", "100000")))
    actor = data_team_user()
    times = []
    report = None
    for _ in range(int(os.environ.get("BENCH_RUNS", "3"))):
        start = time.perf_counter()
        report = readiness_report(actor)
        times.append(time.perf_counter() - start)
    return {
        "value": round(min(times), 3),
        "unit": "s",
        "students": students,
        "schools": len(report.schools),
        "no_backup": report.total.no_backup,
        "verified_percent": report.total.verified_percent,
        "seconds": round(min(times), 3),
        "first_seconds": round(times[0], 3),
        "target_seconds": 3,
    }
