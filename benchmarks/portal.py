"""Parent portal under load: `python -m benchmarks portal`.

gunicorn (as in docker-compose: `config.wsgi:application`, 4 sync workers) on PostgreSQL with
BENCH_STUDENTS (default 100,000) students seeded by `manage.py seed_demo`. BENCH_CLIENTS
(default 64) concurrent clients, each a signed-in guardian, run a mix for BENCH_SECONDS
(default 20): the household page (GET, 80%) and the "everything is correct" update (POST, 20%).
The baseline is a trivial Django view (/healthz) served by the same gunicorn, measured with the
same clients in the same run. `value` is the mix's requests/s; `ratio` = value / baseline.

Targets (issue 4): value >= 400 req/s, p95 < 150 ms, no 5xx, ratio >= 0.4. The load generator
runs on the same machine as gunicorn and PostgreSQL, so all three share its CPUs.
"""

import os
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

from benchmarks import setup_django

ROOT = Path(__file__).resolve().parent.parent


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _seed(students: int, seed: int) -> int:
    from django.core.management import call_command

    from contacts.models import Student

    if Student.objects.count() < students:
        call_command("seed_demo", students=students, seed=seed, verbosity=0)
    return Student.objects.count()


def _guardian_cookies(count: int) -> list[dict[str, str]]:
    """Sign `count` guardians in (portal session + Django session), as the code form would."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from contacts.models import Person, StudentContact
    from contacts.portal.access import SESSION_KEY
    from contacts.portal.services import portal_session_start

    ids = list(
        StudentContact.objects.filter(legal_guardian=True, student__active=True)
        .exclude(pickup_status=StudentContact.Pickup.PROHIBITED)
        .values_list("person_id", flat=True)
        .distinct()
        .order_by("person_id")[: count * 20]
    )
    rng = random.Random(1)
    chosen = rng.sample(ids, min(count, len(ids)))
    cookies = []
    for person in Person.objects.filter(pk__in=chosen):
        _session, key = portal_session_start(person=person, via="benchmark")
        store = SessionStore()
        store[SESSION_KEY] = key
        store.create()
        csrf = secrets.token_hex(16)  # 32 characters, as Django's own CSRF secret
        cookies.append(
            {
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}; "
                f"{settings.CSRF_COOKIE_NAME}={csrf}; {settings.LANGUAGE_COOKIE_NAME}=en",
                "X-CSRFToken": csrf,
            }
        )
    return cookies


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        HTTPS="0",
        LOG_LEVEL="WARNING",
    )
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("gunicorn did not start")


def _load(port: int, clients: int, seconds: float, make_request) -> dict:
    """`clients` threads, each sending requests back to back for `seconds`."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    unexpected = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(index: int) -> None:
        rng = random.Random(index)
        mine, codes, bad = [], {}, 0
        conn = HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            method, path, headers, body, expected = make_request(index, rng)
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except OSError:
                conn.close()
                conn = HTTPConnection("127.0.0.1", port, timeout=30)
                status = 599
            mine.append(time.perf_counter() - started)
            codes[status] = codes.get(status, 0) + 1
            bad += status != expected
        with lock:
            latencies.extend(mine)
            for code, n in codes.items():
                statuses[code] = statuses.get(code, 0) + n
            unexpected[0] += bad

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1] if latencies else 0.0
    return {
        "requests": len(latencies),
        "req_per_s": len(latencies) / elapsed,
        "p95_ms": p95 * 1000,
        "statuses": statuses,
        "errors_5xx": sum(n for code, n in statuses.items() if code >= 500),
        "unexpected": unexpected[0],
    }


def run() -> dict:
    students = _env_int("BENCH_STUDENTS", 100_000)
    clients = _env_int("BENCH_CLIENTS", 64)
    seconds = _env_int("BENCH_SECONDS", 20)
    workers = _env_int("BENCH_WORKERS", 4)
    setup_django()
    seeded = _seed(students, _env_int("BENCH_SEED", 1))
    cookies = _guardian_cookies(max(clients * 4, 256))
    port = _free_port()
    server = _start_gunicorn(port, workers)
    try:

        def trivial(index, rng):
            return "GET", "/healthz", {}, None, 200

        def portal(index, rng):
            headers = dict(cookies[(index + rng.randrange(4) * clients) % len(cookies)])
            if rng.random() < 0.8:
                return "GET", "/portal/household/", {"Cookie": headers["Cookie"]}, None, 200
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            return "POST", "/portal/household/confirm/", headers, "", 302

        _load(port, clients, 3, portal)  # warm up: connections, caches, the JIT of the planner
        baseline = _load(port, clients, seconds, trivial)
        mix = _load(port, clients, seconds, portal)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ratio = mix["req_per_s"] / baseline["req_per_s"] if baseline["req_per_s"] else 0.0
    return {
        "name": "portal",
        "value": round(mix["req_per_s"], 1),
        "unit": "req/s",
        "p95_ms": round(mix["p95_ms"], 1),
        "baseline": round(baseline["req_per_s"], 1),
        "baseline_p95_ms": round(baseline["p95_ms"], 1),
        "ratio": round(ratio, 3),
        "errors_5xx": mix["errors_5xx"] + baseline["errors_5xx"],
        "unexpected_status": mix["unexpected"],
        "statuses": mix["statuses"],
        "requests": mix["requests"],
        "students": seeded,
        "clients": clients,
        "seconds": seconds,
        "gunicorn_workers": workers,
        "meets_targets": mix["req_per_s"] >= 400
        and mix["p95_ms"] < 150
        and mix["errors_5xx"] == 0
        and ratio >= 0.4,
    }
