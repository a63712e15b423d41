"""Delivery transports, one class per provider (after healthchecks' `Transport`).

`send(message)` returns the provider's id for the message or raises `TransportError` saying
whether the failure is permanent (the address is bad: do not retry, mark it, fall back) and
whether the request may have reached the provider anyway (`in_doubt`: a timeout, a dropped
connection), in which case the next attempt first asks `lookup(message)` so the family does not
get the message twice. Transports never log addresses or bodies: ids only.
"""

import hashlib
import json
import logging
import smtplib
import sys
import threading
from datetime import timedelta
from pathlib import Path

import requests
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from . import conf
from .models import Channel, ErrorCode, Message

logger = logging.getLogger(__name__)

# The twilio client logs every request URL at INFO, and a list request carries the phone number
# in its query string: give it a logger of its own that only speaks up for warnings.
_twilio_http_logger = logging.getLogger("alerts.transports.twilio_http")
_twilio_http_logger.setLevel(logging.WARNING)


class TransportError(Exception):
    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        code: str = ErrorCode.PROVIDER_ERROR,
        in_doubt: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.code = code
        self.in_doubt = in_doubt


class Transport:
    def send(self, message: Message) -> str:
        raise NotImplementedError

    def lookup(self, message: Message) -> str | None:
        """The provider id of this message if the provider already accepted it, else None.
        Transports that cannot ask return None (at-least-once in that narrow case)."""
        return None


class ConsoleTransport(Transport):
    """The embedded demo's phone: prints the body (never the address), marked as not sent; with
    ALERTS_FILE_DIR set, also writes one JSON file per message so a demo or a browser test can
    read it. Outside the embedded install (only when chosen explicitly, as tests may) it prints
    that a message was not sent and withholds the body, which may carry a one-time code."""

    def send(self, message: Message) -> str:
        where = f"{message.channel} to person {message.recipient_person_id}"
        if conf.embedded():
            sys.stdout.write(f"DEMO PHONE — not sent [{where}] {message.body}\n")
        else:
            sys.stdout.write(f"console transport — not sent [{where}] message {message.pk}\n")
        directory = conf.setting_str("ALERTS_FILE_DIR")
        if directory:
            path = Path(directory)
            path.mkdir(parents=True, exist_ok=True)
            (path / f"{message.pk}.json").write_text(
                json.dumps(
                    {
                        "channel": message.channel,
                        "address": message.address,
                        "subject": message.subject,
                        "body": message.body,
                        "template_key": message.template_key,
                    }
                )
            )
        return f"console-{message.pk}"

    def lookup(self, message: Message) -> str | None:
        return None


# Twilio error codes that are about the destination, not about us or the moment.
_TWILIO_PERMANENT = {
    21211: ErrorCode.INVALID_ADDRESS,  # invalid 'To' phone number
    21217: ErrorCode.INVALID_ADDRESS,  # phone number does not appear to be valid
    21614: ErrorCode.LANDLINE,  # 'To' number is not a valid mobile number
    21610: ErrorCode.OPTED_OUT,  # the recipient replied STOP
    21612: ErrorCode.REJECTED,  # cannot route to this number
    21408: ErrorCode.REJECTED,  # permission to send to this region is not enabled
}

# How far our clock and Twilio's may disagree when we ask what it accepted since a time.
LOOKUP_CLOCK_SKEW = timedelta(minutes=2)

# Voice: how <Say> should pronounce each language (Twilio language tags).
SAY_LANGUAGE = {"en": "en-US", "es": "es-US", "ar": "ar-XA", "vi": "vi-VN"}


def _twilio_error(exc: Exception) -> TransportError:
    if isinstance(exc, TwilioRestException):
        status, code = exc.status, exc.code
        if code in _TWILIO_PERMANENT:
            return TransportError(f"twilio {code}", permanent=True, code=_TWILIO_PERMANENT[code])
        if status == 429 or code == 20429:
            return TransportError("twilio throttled", code=ErrorCode.THROTTLED)
        if status >= 500:
            return TransportError(f"twilio http {status}", code=ErrorCode.PROVIDER_ERROR)
        if status in (401, 403):
            # Our credentials, not the family's number: retry while an operator fixes them.
            return TransportError(f"twilio http {status}", code=ErrorCode.PROVIDER_ERROR)
        return TransportError(
            f"twilio http {status} code {code}", permanent=True, code=ErrorCode.REJECTED
        )
    if isinstance(exc, requests.ConnectTimeout):
        return TransportError("twilio connect timeout", code=ErrorCode.TIMEOUT)
    if isinstance(exc, requests.Timeout):
        # The request went out; Twilio may have accepted it.
        return TransportError("twilio read timeout", code=ErrorCode.TIMEOUT, in_doubt=True)
    if isinstance(exc, requests.ConnectionError):
        return TransportError("twilio connection error", code=ErrorCode.NETWORK, in_doubt=True)
    return TransportError(f"twilio {type(exc).__name__}", code=ErrorCode.PROVIDER_ERROR)


class TwilioTransport(Transport):
    """SMS and voice through the official client. TWILIO_API_BASE_URL points it elsewhere (the
    local fake in tests and benchmarks). One client per thread: the dispatcher sends from a
    thread pool and a requests Session is not meant to be shared across threads."""

    _local = threading.local()

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def client(self) -> Client:
        sid = conf.setting_str("TWILIO_ACCOUNT_SID")
        token = conf.setting_str("TWILIO_AUTH_TOKEN")
        base = conf.setting_str("TWILIO_API_BASE_URL")
        timeout = conf.provider_timeout_seconds()
        key = (sid, token, base, timeout)
        cached = getattr(self._local, "client", None)
        if cached is None or cached[0] != key:
            client = Client(
                sid,
                token,
                http_client=TwilioHttpClient(timeout=timeout, logger=_twilio_http_logger),
            )
            if base:
                client.api.base_url = base
            self._local.client = (key, client)
        return self._local.client[1]

    def _callback(self, path: str) -> str | None:
        base = conf.setting_str("ALERTS_PUBLIC_BASE_URL")
        return f"{base.rstrip('/')}{path}" if base else None

    def send(self, message: Message) -> str:
        sender = conf.setting_str("TWILIO_FROM_NUMBER")
        kwargs = {}
        try:
            if self.channel == Channel.SMS:
                callback = self._callback("/alerts/twilio/status")
                if callback:
                    kwargs["status_callback"] = callback
                created = self.client().messages.create(
                    to=message.address, from_=sender, body=message.body, **kwargs
                )
            else:
                callback = self._callback("/alerts/twilio/voice-status")
                if callback:
                    kwargs["status_callback"] = callback
                created = self.client().calls.create(
                    to=message.address, from_=sender, twiml=voice_twiml(message), **kwargs
                )
        except Exception as exc:  # classified, never swallowed: the caller records it
            raise _twilio_error(exc) from exc
        return created.sid

    def lookup(self, message: Message) -> str | None:
        # The provider keeps no idempotency key for messages, so ask it what it accepted for
        # this number since the message was written, and recognise ours by its body (SMS) or
        # by time (calls). Not since the current claim: the attempt in doubt belongs to an
        # earlier claim, at least a claim timeout ago, and a window anchored on the re-claim
        # would miss it and send the message twice. The margin covers clock skew with Twilio.
        since = message.created_at - LOOKUP_CLOCK_SKEW
        try:
            if self.channel == Channel.SMS:
                for found in self.client().messages.list(
                    to=message.address, date_sent_after=since, limit=50
                ):
                    if found.body == message.body:
                        return found.sid
            else:
                for found in self.client().calls.list(
                    to=message.address, start_time_after=since, limit=20
                ):
                    return found.sid
        except Exception as exc:
            raise _twilio_error(exc) from exc
        return None


def voice_twiml(message: Message) -> str:
    response = VoiceResponse()
    language = SAY_LANGUAGE.get(message.language, "en-US")
    # Read twice: the first words of a call are often lost while the phone is raised.
    response.say(message.body, language=language, loop=2)
    return str(response)


def email_message_id(message: Message) -> str:
    # The same outbox row always carries the same Message-ID, so a resend after an in-doubt
    # attempt is recognisable as one message by mail systems that deduplicate.
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@reunify.alerts>"


class EmailTransport(Transport):
    """Any Django email backend; SMTP unless ALERTS_EMAIL_BACKEND says otherwise."""

    def send(self, message: Message) -> str:
        backend = conf.setting_str(
            "ALERTS_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
        )
        message_id = email_message_id(message)
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=conf.setting_str("ALERTS_EMAIL_FROM", settings.DEFAULT_FROM_EMAIL),
            to=[message.address],
            headers={"Message-ID": message_id, "Content-Language": message.language},
        )
        try:
            connection = get_connection(
                backend=backend, fail_silently=False, timeout=conf.provider_timeout_seconds()
            )
            sent = connection.send_messages([email])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            permanent = any(code >= 500 for code in codes)
            raise TransportError(
                f"smtp recipient refused {codes}",
                permanent=permanent,
                code=ErrorCode.BOUNCED if permanent else ErrorCode.PROVIDER_ERROR,
            ) from exc
        except smtplib.SMTPResponseException as exc:
            permanent = exc.smtp_code >= 500
            raise TransportError(
                f"smtp {exc.smtp_code}",
                permanent=permanent,
                code=ErrorCode.REJECTED if permanent else ErrorCode.PROVIDER_ERROR,
            ) from exc
        except (smtplib.SMTPServerDisconnected, TimeoutError) as exc:
            raise TransportError(
                "smtp disconnected", code=ErrorCode.NETWORK, in_doubt=True
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"smtp {type(exc).__name__}", code=ErrorCode.NETWORK) from exc
        if not sent:
            raise TransportError("smtp sent nothing", code=ErrorCode.PROVIDER_ERROR)
        return message_id.strip("<>")


def get_transport(channel: str) -> Transport:
    name = conf.transport_name(channel)
    if name == "console":
        return ConsoleTransport()
    if name == "twilio" and channel in (Channel.SMS, Channel.VOICE):
        return TwilioTransport(channel)
    if name in ("smtp", "email") and channel == Channel.EMAIL:
        return EmailTransport()
    raise TransportError(
        f"no transport {name!r} for {channel}", permanent=True, code=ErrorCode.NO_TRANSPORT
    )
