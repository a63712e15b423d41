"""A logging filter that keeps phone numbers, email addresses and tokens out of every log line.

Code should never log them in the first place; this is the net under that rule, for a library's
message or an exception text that quotes a value."""

import logging
import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A run of 7+ digits, optionally with +, spaces, dots, dashes or parentheses between them.
_PHONE = re.compile(r"\+?\(?\d[\d\s().-]{5,}\d")
_TOKEN = re.compile(r"(?i)\b(token|code|otp|key|secret|password|signature)(\s*[=:]\s*)(\S+)")


def redact(text: str) -> str:
    text = _EMAIL.sub("[email]", text)
    text = _TOKEN.sub(r"\1\2[redacted]", text)
    return _PHONE.sub("[phone]", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = str(record.msg)
        record.msg = redact(message)
        record.args = ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True
