"""A local fake of Twilio's REST API (Messages and Calls), good enough for the official client.

It speaks the real protocol over a socket: form-encoded POSTs to
/2010-04-01/Accounts/{sid}/Messages.json and Calls.json with HTTP basic auth, 201 and a JSON
resource back; GET on the same paths lists resources (To, DateSent>, StartTime> filters). Every
request lands in a ledger. It can be told to add latency, answer 500 or 429, time out (after
accepting the message, like a real provider whose answer is lost), or return Twilio error
codes as 400 JSON, either for the next N requests or for given numbers.

Run it in a thread (`FakeTwilio().start()`) or as a process:
`python -m tests.fakes.twilio --port 8099 --latency 0.01`.
"""

import base64
import contextlib
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

ERROR_MESSAGES = {
    21211: "The 'To' number is not a valid phone number.",
    21614: "'To' number is not a valid mobile number",
    21610: "Attempt to send to unsubscribed recipient",
    20429: "Too Many Requests",
    20003: "Authentication Error - invalid username",
    20500: "Internal Server Error",
}


@dataclass
class Entry:
    at: float
    method: str
    path: str
    kind: str  # "message" or "call"
    form: dict[str, str]
    status: int
    sid: str | None = None


@dataclass
class Behaviour:
    """One scripted answer: ("ok"), ("status", 500), ("throttle",), ("error", 21211),
    ("timeout", seconds)."""

    kind: str
    value: float = 0
    times: int | None = None  # None: for good; else how many more requests


def _parse_time(value: str) -> float:
    value = value.strip()
    if len(value) == 10:
        return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp()
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


@dataclass
class FakeTwilio:
    account_sid: str = "AC" + "f" * 32
    auth_token: str = "fake-auth-token"
    latency: float = 0.0
    host: str = "127.0.0.1"
    port: int = 0
    ledger: list[Entry] = field(default_factory=list)
    _script: deque = field(default_factory=deque)
    _by_number: dict[str, Behaviour] = field(default_factory=dict)
    _resources: list[dict] = field(default_factory=list)
    _by_to: dict[str, list[dict]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # --- control ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "FakeTwilio":
        fake = self

        class Handler(_Handler):
            twilio = fake

        self._server = _QuietServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def then(self, kind: str, value: float = 0, times: int = 1) -> "FakeTwilio":
        """Answer the next `times` create requests this way (in order)."""
        with self._lock:
            for _ in range(times):
                self._script.append(Behaviour(kind, value))
        return self

    def for_number(
        self, number: str, kind: str, value: float = 0, times: int | None = None
    ) -> None:
        """Answer create requests to this number this way: every one, or the next `times`."""
        with self._lock:
            self._by_number[number] = Behaviour(kind, value, times)

    def age(self, seconds: float) -> None:
        """Pretend `seconds` passed since everything recorded so far was created (the list
        filters DateSent>/StartTime> then see it as that much older)."""
        with self._lock:
            for resource in self._resources:
                resource["_created"] -= seconds
            for entry in self.ledger:
                entry.at -= seconds

    def reset(self) -> None:
        with self._lock:
            self.ledger.clear()
            self._script.clear()
            self._by_number.clear()
            self._resources.clear()
            self._by_to.clear()

    # --- reading the ledger ----------------------------------------------------------------
    def created(self, kind: str | None = None) -> list[Entry]:
        with self._lock:
            return [e for e in self.ledger if e.sid and (kind is None or e.kind == kind)]

    def requests(self, kind: str | None = None) -> list[Entry]:
        with self._lock:
            return [e for e in self.ledger if kind is None or e.kind == kind]

    def wait_for(self, count: int, timeout: float = 10.0, kind: str | None = None) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.created(kind)) >= count:
                return True
            time.sleep(0.02)
        return len(self.created(kind)) >= count

    # --- protocol --------------------------------------------------------------------------
    def _behaviour_for(self, to: str) -> Behaviour:
        with self._lock:
            if self._script:
                return self._script.popleft()
            behaviour = self._by_number.get(to, Behaviour("ok"))
            if behaviour.times is not None:
                behaviour.times -= 1
                if behaviour.times <= 0:
                    del self._by_number[to]
            return behaviour

    def _create(self, kind: str, form: dict[str, str]) -> tuple[int, dict]:
        now = time.time()
        stamp = format_datetime(datetime.fromtimestamp(now, UTC), usegmt=True)
        prefix = "SM" if kind == "message" else "CA"
        sid = f"{prefix}{next(self._ids):032x}"
        resource = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": form.get("To"),
            "from": form.get("From"),
            "status": "queued",
            "date_created": stamp,
            "date_updated": stamp,
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/"
            f"{'Messages' if kind == 'message' else 'Calls'}/{sid}.json",
            "_created": now,
            "_kind": kind,
        }
        if kind == "message":
            resource.update(
                {
                    "body": form.get("Body", ""),
                    "direction": "outbound-api",
                    "num_segments": "1",
                    "date_sent": None,
                    "error_code": None,
                    "error_message": None,
                    "price": None,
                }
            )
        else:
            resource.update({"direction": "outbound-api", "start_time": stamp})
        with self._lock:
            self._resources.append(resource)
            self._by_to.setdefault(form.get("To", ""), []).append(resource)
        return 201, resource

    def _list(self, kind: str, query: dict[str, list[str]]) -> dict:
        to = (query.get("To") or [""])[0]
        after = (query.get("DateSent>") or query.get("StartTime>") or [""])[0]
        since = _parse_time(after) if after else 0.0
        with self._lock:
            pool = self._by_to.get(to, []) if to else self._resources
            found = [r for r in pool if r["_kind"] == kind and r["_created"] >= since]
        key = "messages" if kind == "message" else "calls"
        return {
            key: [_public(r) for r in reversed(found)][:50],
            "first_page_uri": "",
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
            "uri": "",
        }


def _public(resource: dict) -> dict:
    return {k: v for k, v in resource.items() if not k.startswith("_")}


def _missing_param(kind: str, form: dict[str, str]) -> int | None:
    """Twilio's own validation: 21604 'To' required, 21603 'From' required, 21602 body
    required, 21205 a call needs Url or Twiml."""
    if not form.get("To"):
        return 21604
    if not form.get("From"):
        return 21603
    if kind == "message" and not form.get("Body"):
        return 21602
    if kind == "call" and not (form.get("Twiml") or form.get("Url")):
        return 21205
    return None


def _error(status: int, code: int) -> dict:
    return {
        "code": code,
        "message": ERROR_MESSAGES.get(code, "Error"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # Clients that vanish mid-request (a SIGKILLed worker) are part of the tests.
        pass


class _Handler(BaseHTTPRequestHandler):
    twilio: FakeTwilio
    protocol_version = "HTTP/1.1"
    # Headers and body go out in one write with TCP_NODELAY: otherwise the body waits behind
    # Nagle for the client's delayed ACK of the headers, about 40 ms a response on Linux.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # the ledger is the log; stderr stays quiet
        pass

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self._headers_buffer.append(b"\r\n")
        self._headers_buffer.append(data)
        self.flush_headers()

    def _route(self) -> tuple[str | None, str | None]:
        path = urlparse(self.path).path
        parts = path.strip("/").split("/")
        # 2010-04-01 / Accounts / {sid} / Messages.json
        if len(parts) == 4 and parts[0] == "2010-04-01" and parts[1] == "Accounts":
            kind = {"Messages.json": "message", "Calls.json": "call"}.get(parts[3])
            return parts[2], kind
        return None, None

    def _authorised(self, sid: str) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        fake = self.twilio
        return user == fake.account_sid == sid and password == fake.auth_token

    def do_GET(self) -> None:
        if self.path.startswith("/__fake__/created_count"):
            return self._send(200, {"count": len(self.twilio.created())})
        if self.path.startswith("/__fake__/ledger"):
            # Control channel for a fake running in its own process (see RemoteFakeTwilio).
            to = (parse_qs(urlparse(self.path).query).get("to") or [""])[0]
            with self.twilio._lock:
                rows = [e.__dict__ for e in self.twilio.ledger if not to or e.form.get("To") == to]
            return self._send(200, {"ledger": rows})
        sid, kind = self._route()
        if kind is None:
            return self._send(404, _error(404, 20404))
        if not self._authorised(sid):
            return self._send(401, _error(401, 20003))
        self._send(200, self.twilio._list(kind, parse_qs(urlparse(self.path).query)))

    def do_POST(self) -> None:
        if self.path.startswith("/__fake__/"):
            return self._control()
        length = int(self.headers.get("Content-Length") or 0)
        raw_bytes = self.rfile.read(length)
        if len(raw_bytes) < length:
            return  # the client went away mid-request: nothing was accepted
        raw = raw_bytes.decode()
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        fake = self.twilio
        sid, kind = self._route()
        entry = Entry(time.time(), "POST", urlparse(self.path).path, kind or "?", form, 0)
        if kind is None:
            entry.status = 404
            self._record(entry)
            return self._send(404, _error(404, 20404))
        if not self._authorised(sid):
            entry.status = 401
            self._record(entry)
            return self._send(401, _error(401, 20003))
        missing = _missing_param(kind, form)
        if missing:
            entry.status = 400
            self._record(entry)
            return self._send(400, _error(400, missing))
        if fake.latency:
            time.sleep(fake.latency)
        behaviour = fake._behaviour_for(form.get("To", ""))
        if behaviour.kind == "status":
            entry.status = int(behaviour.value)
            self._record(entry)
            return self._send(entry.status, _error(entry.status, 20500))
        if behaviour.kind == "throttle":
            entry.status = 429
            self._record(entry)
            return self._send(429, _error(429, 20429))
        if behaviour.kind == "error":
            entry.status = 400
            self._record(entry)
            return self._send(400, _error(400, int(behaviour.value)))
        status, resource = fake._create(kind, form)
        entry.status, entry.sid = status, resource["sid"]
        self._record(entry)
        if behaviour.kind == "timeout":
            # Accepted, but the answer never arrives in time: the client's read times out.
            time.sleep(behaviour.value)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send(status, _public(resource))

    def _control(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        args = json.loads(self.rfile.read(length) or b"{}")
        fake = self.twilio
        action = self.path.rsplit("/", 1)[1]
        if action == "reset":
            fake.reset()
        elif action == "then":
            fake.then(args["kind"], args.get("value", 0), args.get("times", 1))
        elif action == "for_number":
            fake.for_number(args["number"], args["kind"], args.get("value", 0), args.get("times"))
        elif action == "age":
            fake.age(float(args["seconds"]))
        elif action == "latency":
            fake.latency = float(args["value"])
        self._send(200, {"ok": True})

    def _record(self, entry: Entry) -> None:
        with self.twilio._lock:
            self.twilio.ledger.append(entry)


class RemoteFakeTwilio:
    """The same fake in a process of its own (its HTTP threads then do not compete with the
    test for the GIL), driven over a small control channel on the same port."""

    def __init__(self, latency: float = 0.0) -> None:
        import socket
        import subprocess
        import sys

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.account_sid = FakeTwilio.account_sid
        self.auth_token = FakeTwilio.auth_token
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.fakes.twilio",
                "--port",
                str(self.port),
                "--latency",
                str(latency),
            ],
            stdout=subprocess.DEVNULL,
            cwd=Path(__file__).resolve().parents[2],
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self.requests()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("fake twilio did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _call(self, action: str, payload: dict | None = None):
        import urllib.request

        data = json.dumps(payload or {}).encode() if payload is not None else None
        request = urllib.request.Request(f"{self.url}/__fake__/{action}", data=data)  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - localhost
            return json.loads(response.read())

    def requests(self, kind: str | None = None, to: str = "") -> list[Entry]:
        """The ledger, or only the requests to one number (`to`), which is cheaper."""
        from urllib.parse import quote

        rows = [Entry(**row) for row in self._call(f"ledger?to={quote(to)}")["ledger"]]
        return [e for e in rows if kind is None or e.kind == kind]

    def created(self, kind: str | None = None, to: str = "") -> list[Entry]:
        return [e for e in self.requests(kind, to) if e.sid]

    def created_count(self) -> int:
        """How many resources were created, without shipping the ledger over."""
        return int(self._call("created_count")["count"])

    def wait_for(self, count: int, timeout: float = 10.0, kind: str | None = None) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = len(self.created(kind)) if kind else self.created_count()
            if done >= count:
                return True
            time.sleep(0.1)
        return False

    def reset(self) -> None:
        self._call("reset", {})

    def then(self, kind: str, value: float = 0, times: int = 1) -> None:
        self._call("then", {"kind": kind, "value": value, "times": times})

    def for_number(
        self, number: str, kind: str, value: float = 0, times: int | None = None
    ) -> None:
        self._call("for_number", {"number": number, "kind": kind, "value": value, "times": times})

    def age(self, seconds: float) -> None:
        self._call("age", {"seconds": seconds})

    def set_latency(self, value: float) -> None:
        self._call("latency", {"value": value})

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    fake = FakeTwilio(port=args.port, latency=args.latency).start()
    print(f"fake twilio on {fake.url} account {fake.account_sid}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
