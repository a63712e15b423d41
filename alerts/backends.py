"""Delivery backends, one per channel. The embedded default writes to the console (and, when
ALERTS_FILE_DIR is set, to one file per message) instead of calling a provider."""

import json
import sys
from pathlib import Path

from django.conf import settings

from .models import Message


class ConsoleBackend:
    def send(self, message: Message) -> str:
        # The console backend is for development only; it prints the body, never the address.
        sys.stdout.write(
            f"[{message.channel} to person {message.recipient_person_id}] {message.body}\n"
        )
        directory = getattr(settings, "ALERTS_FILE_DIR", None)
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
                    }
                )
            )
        return f"console-{message.pk}"


def get_backend(channel: str) -> ConsoleBackend:
    return ConsoleBackend()
