"""Secrets for the portal: random codes and tokens, and the keyed hashes stored in their place.

A 6-digit code has little entropy, so it is hashed with HMAC keyed by SECRET_KEY and salted with
the row it belongs to: a copy of the table alone does not give the codes back.
"""

import hashlib
import hmac
import secrets

from django.conf import settings


def keyed_hash(*parts: str) -> str:
    message = "\x1f".join(parts).encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
