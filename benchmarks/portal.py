"""Parent portal under load: `python -m benchmarks portal`.

gunicorn, started with the `web` command of docker-compose.yml (only the bind address changed to
a free port on 127.0.0.1), on PostgreSQL (DATABASE_URL, default the local database
`reunify_bench_portal`) with BENCH_STUDENTS (default 100,000) students seeded by
`manage.py seed_demo`. The load tool is wrk (Debian's `wrk`, C, one process): BENCH_CLIENTS
(default 64) connections over BENCH_THREADS (default 2) threads, for BENCH_SECONDS (default 20)
per phase. BENCH_GUARDIANS (default 4,000) guardians drawn at random from the whole district are
signed in; each request picks one of them at random, so nearly every page is one nobody asked
for a moment before. The mix is the household page (GET, 80%) and "everything is correct"
(POST, 20%).

The baseline is a trivial Django view (/healthz) served by the same gunicorn, loaded by the same
wrk with the same connections in the same run. `value` is the mix's requests/s; `ratio` =
value / baseline (reported, not a target).

Targets: value >= 200 req/s, p95 < 500 ms, no 5xx, and no request answered with the sign-in page
or a CSRF refusal. wrk runs on the same machine as gunicorn and PostgreSQL, so all three share its
CPUs.
"""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from http.client import HTTPConnection
from pathlib import Path

from benchmarks import setup_django

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/reunify_bench_portal"

# wrk's Lua hooks. One Lua state per wrk thread; done() reads each thread's counters.
# A GET that lands on the sign-in page (302 to /portal/sign-in/) or a POST refused by CSRF (403)
# counts as unexpected: the load would then measure something cheaper than the portal.
WRK_SCRIPT = r"""
local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  post_share = tonumber(args[3])
  sessions = {}
  local f = assert(io.open(args[2]))
  for line in f:lines() do
    local cookie, csrf = line:match("^([^\t]+)\t([^\t]+)$")
    if cookie then table.insert(sessions, {cookie, csrf}) end
  end
  f:close()
  math.randomseed(id * 7919)
  statuses = {}
  unexpected = 0
end

function request()
  if mode == "trivial" then
    return wrk.format("GET", "/healthz", {})
  end
  local s = sessions[math.random(#sessions)]
  if math.random() < post_share then
    return wrk.format("POST", "/portal/household/confirm/", {
      ["Cookie"] = s[1], ["X-CSRFToken"] = s[2],
      ["Content-Type"] = "application/x-www-form-urlencoded"}, "")
  end
  return wrk.format("GET", "/portal/household/", {["Cookie"] = s[1]})
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status == 302 then
    local location = headers["Location"] or ""
    if not location:find("/portal/household/", 1, true) then unexpected = unexpected + 1 end
  elseif status ~= 200 then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local all, bad = {}, 0
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do all[code] = (all[code] or 0) + n end
    bad = bad + thread:get("unexpected")
  end
  local parts = {}
  for code, n in pairs(all) do table.insert(parts, string.format('"%s": %d', code, n)) end
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "socket_errors": %d, "unexpected": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    bad, table.concat(parts, ", ")))
end
"""


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _seed(students: int, seed: int) -> int:
    from django.core.management import call_command
    from django.db import connection

    from contacts.models import Student

    if Student.objects.count() < students:
        call_command("seed_demo", students=students, seed=seed, verbosity=0)
    # Fresh planner statistics and no dead rows, as autovacuum keeps a production server: a bulk
    # load leaves no statistics until autovacuum's next pass (without them the household query
    # seq-scans), and every earlier run's confirm-all POSTs left dead row versions behind (the
    # local server runs with autovacuum off).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return Student.objects.count()


def _guardian_cookies(count: int) -> list[tuple[str, str]]:
    """Sign in `count` guardians drawn at random from every guardian of the district (a portal
    session, as the code form would leave it, and a CSRF cookie). Returns (Cookie header,
    X-CSRFToken header) pairs."""
    import random

    from django.conf import settings

    from contacts.models import Person, StudentContact
    from contacts.portal.access import COOKIE_NAME
    from contacts.portal.services import portal_session_start

    ids = sorted(set(StudentContact.objects.guardianships().values_list("person_id", flat=True)))
    chosen = random.Random(1).sample(ids, min(count, len(ids)))
    cookies = []
    for person in Person.objects.filter(pk__in=chosen):
        _session, key = portal_session_start(person=person, via="benchmark")
        csrf = secrets.token_hex(16)  # 32 characters, as Django's own CSRF secret
        cookie = (
            f"{COOKIE_NAME}={key}; "
            f"{settings.CSRF_COOKIE_NAME}={csrf}; {settings.LANGUAGE_COOKIE_NAME}=en"
        )
        cookies.append((cookie, csrf))
    return cookies


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _interpolate(arg: str) -> str:
    """`${NAME:-default}` and `${NAME}` from the environment, as docker compose reads them."""
    return re.sub(
        r"\$\{(\w+)(?::-([^}]*))?\}",
        lambda m: os.environ.get(m.group(1)) or (m.group(2) or ""),
        arg,
    )


def gunicorn_command(port: int) -> list[str]:
    """docker-compose.yml's `web` command, bound to 127.0.0.1:port instead of 0.0.0.0:8000."""
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    cmd = [_interpolate(arg) for arg in compose["services"]["web"]["command"]]
    if cmd[0] != "gunicorn" or "--bind" not in cmd:
        raise SystemExit(f"unexpected web command in docker-compose.yml: {cmd}")
    cmd[cmd.index("--bind") + 1] = f"127.0.0.1:{port}"
    return [sys.executable, "-m", *cmd]


def _start_gunicorn(cmd: list[str], port: int, log) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        HTTPS="0",
        LOG_LEVEL="WARNING",
        # Explicit transports: gunicorn refuses to start without real ones outside the
        # embedded install, and the benchmark reaches no family.
        ALERTS_TRANSPORT_SMS="console",
        ALERTS_TRANSPORT_VOICE="console",
        ALERTS_TRANSPORT_EMAIL="console",
    )
    # The access log ("-" in docker-compose) is written, to a file instead of a terminal.
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
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


def _wrk(port: int, *, mode: str, seconds: int, clients: int, threads: int, work: Path) -> dict:
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{clients}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(work / "mix.lua"),
        f"http://127.0.0.1:{port}",
        "--",
        mode,
        str(work / "sessions.tsv"),
        "0.2",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 60)
    line = next(x for x in out.stdout.splitlines() if x.startswith("WRK-RESULT "))
    raw = json.loads(line.removeprefix("WRK-RESULT "))
    statuses = {int(code): n for code, n in sorted(raw["statuses"].items())}
    return {
        "requests": raw["requests"],
        "req_per_s": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "statuses": statuses,
        "errors_5xx": sum(n for code, n in statuses.items() if code >= 500),
        "socket_errors": raw["socket_errors"],
        "unexpected": raw["unexpected"],
    }


def run() -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("this benchmark needs wrk: apt-get install -y wrk")
    students = _env_int("BENCH_STUDENTS", 100_000)
    clients = _env_int("BENCH_CLIENTS", 64)
    seconds = _env_int("BENCH_SECONDS", 20)
    threads = _env_int("BENCH_THREADS", 2)
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    setup_django()
    seeded = _seed(students, _env_int("BENCH_SEED", 1))
    cookies = _guardian_cookies(_env_int("BENCH_GUARDIANS", 4000))
    port = _free_port()
    cmd = gunicorn_command(port)
    load = {"clients": clients, "threads": threads}
    with tempfile.TemporaryDirectory(prefix="bench-portal-") as tmp:
        work = Path(tmp)
        (work / "mix.lua").write_text(WRK_SCRIPT)
        (work / "sessions.tsv").write_text("".join(f"{c}\t{t}\n" for c, t in cookies))
        with open(work / "gunicorn.log", "wb") as log:
            server = _start_gunicorn(cmd, port, log)
            try:
                # Warm up every worker: connections, template and translation caches.
                _wrk(port, mode="mix", seconds=3, work=work, **load)
                baseline = _wrk(port, mode="trivial", seconds=seconds, work=work, **load)
                mix = _wrk(port, mode="mix", seconds=seconds, work=work, **load)
            finally:
                server.terminate()
                server.wait(timeout=30)
    ratio = mix["req_per_s"] / baseline["req_per_s"] if baseline["req_per_s"] else 0.0
    return {
        "name": "portal",
        "value": round(mix["req_per_s"], 1),
        "unit": "req/s",
        "p95_ms": round(mix["p95_ms"], 1),
        "p50_ms": round(mix["p50_ms"], 1),
        "p99_ms": round(mix["p99_ms"], 1),
        "baseline": round(baseline["req_per_s"], 1),
        "baseline_p95_ms": round(baseline["p95_ms"], 1),
        "ratio": round(ratio, 3),
        "errors_5xx": mix["errors_5xx"] + baseline["errors_5xx"],
        "socket_errors": mix["socket_errors"] + baseline["socket_errors"],
        "unexpected_status": mix["unexpected"],
        "statuses": mix["statuses"],
        "requests": mix["requests"],
        "students": seeded,
        "clients": clients,
        "seconds": seconds,
        "load_tool": f"wrk -t{threads} -c{clients}",
        "gunicorn": " ".join(cmd[2:]),
        "guardians": len(cookies),
        "meets_targets": mix["req_per_s"] >= 200
        and mix["p95_ms"] < 500
        and mix["errors_5xx"] == 0
        and mix["unexpected"] == 0,
    }
