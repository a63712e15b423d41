"""What the project's configured log handlers actually write, captured.

`written_logs()` points every handler that carries the redacting filter (the root handler and
django.server's, from config/settings.py LOGGING) at an in-memory stream for the duration of a
block, and yields a function returning everything they wrote. Each logger's level is lowered to
DEBUG meanwhile, so a test sees every line a debugging operator would."""

import contextlib
import io
import logging

from privacy.logredact import RedactingFilter

LOGGERS = ("", "django", "django.request", "django.security", "django.server", "celery")


def _redacting_handlers() -> list[logging.Handler]:
    handlers = []
    for name in LOGGERS:
        for handler in logging.getLogger(name).handlers:
            if any(isinstance(f, RedactingFilter) for f in handler.filters):
                handlers.append(handler)
    return list(dict.fromkeys(handlers))


@contextlib.contextmanager
def written_logs(level: int = logging.DEBUG):
    stream = io.StringIO()
    handlers = _redacting_handlers()
    assert handlers, "no log handler carries the redacting filter"
    previous_streams = [h.setStream(stream) for h in handlers]
    previous_levels = {name: logging.getLogger(name).level for name in LOGGERS}
    for name in LOGGERS:
        logging.getLogger(name).setLevel(level)
    try:
        yield stream.getvalue
    finally:
        for handler, previous in zip(handlers, previous_streams, strict=True):
            handler.setStream(previous)
        for name, previous_level in previous_levels.items():
            logging.getLogger(name).setLevel(previous_level)
