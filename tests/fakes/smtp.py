"""A local SMTP server (aiosmtpd) that records every message and can refuse recipients with a
permanent (550, a bounce) or temporary (451) reply."""

import logging
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

# aiosmtpd logs every envelope address at INFO; the suite keeps addresses out of its logs.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: object  # email.message.EmailMessage


@dataclass
class FakeSMTP:
    host: str = "127.0.0.1"
    port: int = 0
    inbox: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> SMTP reply line

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refuse.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.inbox.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def start(self) -> "FakeSMTP":
        self._controller = Controller(self, hostname=self.host, port=self.port or _free_port())
        self._controller.start()
        self.port = self._controller.port
        return self

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
