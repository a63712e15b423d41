"""Typed domain errors. Every error a user can cause has a code, a message that names the field
and the reason, and optional extra data. One exception handler (config/api.py) maps them to
`{"code", "message", "extra"}`."""

from typing import Any

from .minimisation import NOT_COLLECTED_MESSAGE


class DomainError(Exception):
    code = "invalid"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.field = field
        self.extra = dict(extra or {})
        if field:
            self.extra.setdefault("field", field)


class Conflict(DomainError):
    code = "conflict"
    status = 409


class NotCollected(DomainError):
    code = "not_collected"

    def __init__(self, keys: list[str]) -> None:
        message = " ".join(NOT_COLLECTED_MESSAGE.format(key=k) for k in keys)
        super().__init__(message, field=keys[0], extra={"fields": keys})
