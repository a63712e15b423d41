"""A logging filter that keeps phone numbers, email addresses, codes and tokens out of every log
line.

Code should never log them in the first place; this is the net under that rule, for a library's
message (Django's "Not Found: /portal/link/<token>/", gunicorn's access line, a Celery
traceback) or an exception text that quotes a value. It is installed on every handler that
writes logs: the root and django.server handlers (config/settings.py LOGGING), gunicorn's error
and access handlers (`GunicornLogger`, docker-compose's `--logger-class`) and the Celery
worker's handlers (config/celery.py).

Phone numbers are found as phone numbers, not as runs of digits, so Celery task ids, timings,
dates and database ids stay readable: phonenumbers' matcher (region PHONE_REGION) finds valid
numbers in national and international formats, and two tight patterns catch what it would call
invalid but is still someone's number: anything written with a leading + and 8 to 15 digits
(E.164, also spaced: +52 55 1234 5678), and the North American 3-3-4 shapes ((312) 555-0123,
312-555-0123).
"""

import logging
import re

import phonenumbers
from gunicorn import glogging

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# key=value, key: value and a dict's 'key': 'value', for the names that carry secrets.
_SECRET_VALUE = re.compile(
    r"(?i)\b(token|code|otp|key|secret|password|passwd|signature|sig)(['\"]?\s*[=:]\s*['\"]?)"
    r"([^\s&,;'\"]+)"
)
# "your code is 482913", "código: 482913": a one-time code quoted in a sentence.
_CODE_IN_TEXT = re.compile(r"(?i)\b(code|c[oó]digo|m[aã])\b(\D{0,12}?)\b\d{4,8}\b")
_AUTH_HEADER = re.compile(r"(?i)\b(Token|Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{16,}")
# Paths that carry a token: the portal's personal link (contacts/portal/urls.py) and a
# reunification event's check-in link (reunify/api/release_urls.py). tests/privacy checks that
# every URL pattern of the project with a token in its route is covered here.
TOKEN_PATHS = re.compile(r"(/portal/link/|/api/v1/checkin/|/reunify/checkin/)[^/\s?#\"']+")
# +, then 8 to 15 digits, each group separated by at most one space, dot or dash.
_INTERNATIONAL = re.compile(r"(?<![\w+])\+\d(?:[ .-]?\(?\d\)?){7,14}(?![\w])")
# (312) 555-0123, 312-555-0123, 312.555.0123, 312 555 0123 (not a bare run of ten digits).
_NANP = re.compile(r"(?<![\w.-])(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])")
_DIGITS = re.compile(r"\d")
# A query string's %2B and %40 ("?phone=%2B1312...", "?email=maria%40..."), read as + and @.
_ENCODED = re.compile(r"(?i)%2B(?=\d)|%40(?=[\w-])")


def _region() -> str:
    try:
        from django.conf import settings

        return str(getattr(settings, "PHONE_REGION", "US"))
    except Exception:  # settings not configured (a bare script): the district default
        return "US"


def _redact_phones(text: str) -> str:
    text = _INTERNATIONAL.sub("[phone]", text)
    text = _NANP.sub("[phone]", text)
    if len(_DIGITS.findall(text)) < 7:
        return text
    matches = list(
        phonenumbers.PhoneNumberMatcher(text, _region(), leniency=phonenumbers.Leniency.VALID)
    )
    for match in reversed(matches):
        text = f"{text[: match.start]}[phone]{text[match.end :]}"
    return text


def redact(text: str) -> str:
    text = _ENCODED.sub(lambda m: "+" if m.group().upper() == "%2B" else "@", text)
    text = TOKEN_PATHS.sub(r"\1[token]", text)
    text = _EMAIL.sub("[email]", text)
    text = _AUTH_HEADER.sub(r"\1 [redacted]", text)
    text = _SECRET_VALUE.sub(r"\1\2[redacted]", text)
    text = _CODE_IN_TEXT.sub(r"\1\2[code]", text)
    return _redact_phones(text)


class RedactingFilter(logging.Filter):
    """Rewrites the record in place, so every handler after this one sees the redacted line."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = str(record.msg)
        record.msg = redact(message)
        record.args = ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install(logger: logging.Logger) -> None:
    """Put the filter on each of the logger's handlers (once)."""
    for handler in logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


# What gunicorn itself writes into an access line: the client's address, the time, the status,
# sizes, durations, the process id. None of it can carry a phone number, an address or a token;
# what the client sent (the request line, the query, headers) can.
GUNICORN_OWN_ATOMS = frozenset("hltsmHbBTDMLp")


class RedactedAtoms(glogging.SafeAtoms):
    """gunicorn's access-line fields, each redacted as the format reads it: only the fields the
    format names are looked at, and the ones gunicorn produced itself are left as they are."""

    def __getitem__(self, key):
        value = super().__getitem__(key)
        if key in GUNICORN_OWN_ATOMS or not isinstance(value, str):
            return value
        return redact(value)


class GunicornLogger(glogging.Logger):
    """gunicorn's logger (`--logger-class privacy.logredact.GunicornLogger`): its error lines
    pass the redacting filter, and its access lines are built from redacted fields, so the
    request line shows its token paths and query values redacted. Redacting the fields rather
    than the whole line keeps the phone-number matcher off the timestamp and sizes of every
    request."""

    atoms_wrapper_class = RedactedAtoms

    def setup(self, cfg) -> None:
        super().setup(cfg)
        install(self.error_log)
