"""Logging filters of the project's own log configuration (config/settings.py LOGGING)."""

import logging

from django.conf import settings


class BodyTooBigAsWarning(logging.Filter):
    """Django reports a request body over DATA_UPLOAD_MAX_MEMORY_SIZE on the
    `django.security.RequestDataTooBig` logger as an ERROR with a traceback. It is the client's
    mistake, answered with a 400, so it is rewritten as a one-line warning naming the request,
    never the body; the API's exception handler (config.api) writes the same line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            request = getattr(record, "request", None)
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "request body over %s bytes refused: %s %s"
            record.args = (
                settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
                getattr(request, "method", "?"),
                getattr(request, "path", "?"),
            )
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True
