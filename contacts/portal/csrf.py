"""The CSRF token put into each cached household page.

Django masks the browser's CSRF secret afresh for every response (so that a compressed response
never repeats it: BREACH) and draws the mask one character at a time, one read of the operating
system's random source each: 32 system calls, 28 µs of a cached page's CPU on the benchmark
machine (benchmarks/README.md, "portal"). `masked_csrf_token` gives what
`django.middleware.csrf.get_token` gives, the mask drawn from a single read.

It follows get_token's contract with CsrfViewMiddleware: the middleware leaves the secret it read
from the cookie in request.META["CSRF_COOKIE"], and a response whose page carries a token sends
the cookie again (CSRF_COOKIE_NEEDS_UPDATE). Without a secret yet, Django's own get_token makes
one. tests/portal/test_csrf.py holds both to Django's behaviour.
"""

import secrets

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token

_CHARS = CSRF_ALLOWED_CHARS
_INDEX = {char: i for i, char in enumerate(_CHARS)}
# Random bytes at or above this are dropped, so that each character is equally likely.
_UNBIASED_BELOW = 256 - 256 % len(_CHARS)


def _random_indices(count: int) -> list[int]:
    """`count` uniformly random indices into the allowed characters, from the OS's random source."""
    indices: list[int] = []
    while len(indices) < count:
        # A few bytes more than needed: 3% are dropped, so one read nearly always suffices.
        raw = secrets.token_bytes(count + 8)
        indices.extend(byte % len(_CHARS) for byte in raw if byte < _UNBIASED_BELOW)
    return indices[:count]


def mask(secret: str) -> str:
    """The secret masked as Django masks it (the mask, then each character shifted by the mask's),
    with a fresh random mask; Django's CsrfViewMiddleware unmasks it to the same secret."""
    shifts = _random_indices(CSRF_SECRET_LENGTH)
    masked = "".join(
        _CHARS[(_INDEX[char] + shift) % len(_CHARS)]
        for char, shift in zip(secret, shifts, strict=True)
    )
    return "".join(_CHARS[shift] for shift in shifts) + masked


def masked_csrf_token(request) -> str:
    """get_token(request): the browser's CSRF secret, freshly masked, for a form on this page."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None or len(secret) != CSRF_SECRET_LENGTH:
        return get_token(request)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    return mask(secret)
