import logging
import re
from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from privacy.logredact import GunicornLogger, RedactingFilter, redact
from tests.fakes.logs import written_logs


def test_phone_email_and_token_are_redacted():
    text = redact("sent to +13125550101 and maria@example.org with token=abc123 ok")
    assert "+13125550101" not in text
    assert "maria@example.org" not in text
    assert "abc123" not in text
    assert "[phone]" in text and "[email]" in text


def test_the_filter_rewrites_a_record_with_args(caplog):
    logger = logging.getLogger("tests.redact")
    logger.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.INFO, logger="tests.redact"):
            logger.info("calling %s for %s", "(312) 555-0101", "ana@example.org")
    finally:
        logger.filters.clear()
    assert caplog.records[0].getMessage() == "calling [phone] for [email]"


def test_ids_and_short_numbers_survive():
    assert redact("message 42 attempt 3 of person 1234") == "message 42 attempt 3 of person 1234"


# Lines as Celery, Django and the project write them: nothing in them is a phone number.
UNTOUCHED = [
    "Task alerts.message_deliver[15c279f8-f2a1-4b6e-9c3d-0a1b2c3d4e5f] succeeded in 0.0123s: 'sent'",
    "Task alerts.messages_sweep[6f1c0a8e-2b2d-4c1e-9a7e-55501234abcd] received",
    "[2026-05-01 12:00:00,123: INFO/ForkPoolWorker-1] Task alerts.messages_dispatch"
    "[e9188b92-33c5-4dae-ae12-123456789012] succeeded in 1.204512s: 200",
    "started 2026-05-01T12:34:56.789+00:00, finished 2026-05-01 12:34:56,789 (20260501)",
    "alerts message will retry: message=1234567 reason=throttled in=15s",
    "provider id SM00000000000000000000000000001234 call CA0000000000000000000000000000abcd",
    "GET /api/v1/people/1234567/ 200 1234 5678ms from 192.168.100.200",
    "alerts queued many: written=175000 in 12.3456s, 14177.3 rows/s",
    "error_code=invalid_address purpose=campaign.verify",
]


@pytest.mark.parametrize("line", UNTOUCHED)
def test_task_ids_timings_dates_and_ids_are_not_phone_numbers(line):
    assert redact(line) == line


@pytest.mark.parametrize(
    "number", ["+15550123456", "(312) 555-0123", "312-555-0123", "+52 55 1234 5678", "3125550123"]
)
def test_phone_numbers_in_every_format_are_redacted(number):
    text = redact(f"calling {number} now")
    assert text == "calling [phone] now"


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("sign-in code=123456 sent", "123456"),
        ("your code is 482913.", "482913"),
        ("link?token=Zm9vYmFyYmF6&next=/portal/", "Zm9vYmFyYmF6"),
        ("context {'token': 'Zm9vYmFyYmF6', 'code': '482913'}", "Zm9vYmFyYmF6"),
        ("context {'token': 'Zm9vYmFyYmF6', 'code': '482913'}", "482913"),
        ("Authorization: Token 0123456789abcdef0123456789abcdef", "0123456789abcdef"),
        ("Not Found: /portal/link/Zm9vYmFy-YmF6_cXV4/", "Zm9vYmFy-YmF6_cXV4"),
        ("to Ana.Lopez+school@mail.example.org", "Ana.Lopez"),
        ("GET /portal/?email=maria%40example.org&phone=%2B13125550101", "maria"),
        ("GET /portal/?email=maria%40example.org&phone=%2B13125550101", "5550101"),
    ],
)
def test_codes_tokens_and_emails_are_redacted(line, secret):
    assert secret not in redact(line)


def _token_routes(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _token_routes(entry, route)
        elif isinstance(entry, URLPattern) and "token" in route:
            yield route


def test_every_url_that_carries_a_token_is_redacted():
    routes = list(_token_routes())
    assert routes, "the portal's link route should carry a token"
    token = "Zm9vYmFyYmF6cXV4MTIzNDU2"
    for route in routes:
        path = "/" + re.sub(r"<(?:\w+:)?\w*token\w*>", token, route)
        assert token not in redact(f"Not Found: {path}"), route


def test_the_root_and_runserver_handlers_carry_the_filter():
    root = logging.getLogger().handlers
    server = logging.getLogger("django.server").handlers
    for handlers in (root, server):
        assert any(isinstance(f, RedactingFilter) for h in handlers for f in h.filters)


def test_a_traceback_is_redacted_in_the_written_line():
    with written_logs() as logs:
        try:
            raise ValueError("no contact point +13125550101 for maria@example.org")
        except ValueError:
            logging.getLogger("tests.redact").exception("delivery crashed")
    written = logs()
    assert "Traceback" in written and "delivery crashed" in written
    assert "5550101" not in written and "maria@" not in written


def _gunicorn_logger(tmp_path, fmt: str):
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    cfg.set("access_log_format", fmt)
    cfg.set("logger_class", "privacy.logredact.GunicornLogger")
    assert cfg.logger_class is GunicornLogger
    return cfg.logger_class(cfg)


def test_gunicorns_access_and_error_logs_are_redacted(tmp_path):
    from benchmarks.portal import gunicorn_command

    command = gunicorn_command(8000)
    assert command[command.index("--logger-class") + 1] == "privacy.logredact.GunicornLogger"
    fmt = command[command.index("--access-logformat") + 1]
    logger = _gunicorn_logger(tmp_path, fmt)
    token = "Zm9vYmFyYmF6cXV4MTIzNDU2"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/portal/link/{token}/?phone=%2B13125550101",
        "PATH_INFO": f"/portal/link/{token}/",
        "QUERY_STRING": "phone=%2B13125550101",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.7",
    }
    response = SimpleNamespace(status="200 OK", response_length=12, headers=[], sent=12)
    request = SimpleNamespace(headers=[])
    logger.access(response, request, environ, __import__("datetime").timedelta(seconds=0.01))
    logger.error("worker failed for maria@example.org")
    for handler in logger.access_log.handlers + logger.error_log.handlers:
        handler.flush()
    access = (tmp_path / "access.log").read_text()
    error = (tmp_path / "error.log").read_text()
    assert '"GET /portal/link/[token]/?phone=' in access and " 200 " in access
    assert token not in access and "5550101" not in access
    assert "maria@" not in error and "[email]" in error


def test_celery_worker_handlers_get_the_filter():
    from celery import signals

    import config.celery  # noqa: F401 - connects the handlers

    worker_logger = logging.getLogger("tests.celery.worker")
    handler = logging.StreamHandler()
    worker_logger.addHandler(handler)
    try:
        signals.after_setup_logger.send(sender=None, logger=worker_logger, loglevel=20)
        assert any(isinstance(f, RedactingFilter) for f in handler.filters)
    finally:
        worker_logger.removeHandler(handler)
