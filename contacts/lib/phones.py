"""Phone numbers and email addresses: parse, validate, normalise.

Phones are stored as E.164. A number written without a country code is read in the district's
region (settings.PHONE_REGION, default US); an international number (+52 …) is kept as it is.
"""

import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache

import phonenumbers
from django.conf import settings

from privacy.errors import DomainError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@lru_cache(maxsize=65536)
def _parse(raw: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_phone(raw: str, *, field: str = "phone") -> str:
    """Return `raw` as E.164, or raise DomainError naming the field and the reason."""
    region = settings.PHONE_REGION
    value = (raw or "").strip()
    if not value:
        raise DomainError(f"{field}: a phone number is required.", code="required", field=field)
    e164 = _parse(value, region)
    if e164 is None:
        raise DomainError(
            f"{field}: '{value}' is not a valid {region} phone number.",
            code="invalid_phone",
            field=field,
        )
    return e164


def normalize_email(raw: str, *, field: str = "email") -> str:
    value = (raw or "").strip().lower()
    if not value:
        raise DomainError(f"{field}: an email address is required.", code="required", field=field)
    if len(value) > 254 or not _EMAIL.match(value):
        raise DomainError(
            f"{field}: '{value}' is not a valid email address.", code="invalid_email", field=field
        )
    return value


def display_phone(e164: str) -> str:
    """A number formatted for people: national format at home, international otherwise."""
    return _display_phone(e164, settings.PHONE_REGION)


# The household page shows a guardian's numbers once per child, on every cold render: each
# number is parsed and formatted once per process.
@lru_cache(maxsize=4096)
def _display_phone(e164: str, home_region: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == home_region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _parse_chunk(args: tuple[list[str], str]) -> list[str | None]:
    raws, region = args
    return [_parse(raw, region) for raw in raws]


class PhoneBook:
    """Phone numbers of a whole import, parsed up front on every core.

    phonenumbers' validation is most of an import's CPU time, and each number is independent, so
    a large file's numbers are parsed in a process pool; the result is exactly `normalize_phone`'s.
    """

    PARALLEL_FROM = 20_000
    CHUNK = 5_000

    def __init__(self, parsed: dict[str, str | None], pending=None, pool=None) -> None:
        self._parsed = parsed
        self._pending = pending  # [(chunk, future)] still being parsed in the pool
        self._pool = pool

    @classmethod
    def prepared(cls, raws: set[str]) -> "PhoneBook":
        """Start parsing `raws`. With many numbers the work runs in a process pool while the
        caller goes on reading its file; the first `normalize` waits for it."""
        region = settings.PHONE_REGION
        values = sorted(raw.strip() for raw in raws if raw and raw.strip())
        workers = min(os.cpu_count() or 1, 8)
        if len(values) < cls.PARALLEL_FROM or workers < 2:
            return cls({raw: _parse(raw, region) for raw in values})
        chunks = [values[i : i + cls.CHUNK] for i in range(0, len(values), cls.CHUNK)]
        # fork: the children only run phonenumbers, never Django's database connection.
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("fork")
        )
        pending = [(chunk, pool.submit(_parse_chunk, (chunk, region))) for chunk in chunks]
        return cls({}, pending, pool)

    def _collect(self) -> None:
        if self._pending is None:
            return
        try:
            for chunk, future in self._pending:
                self._parsed.update(zip(chunk, future.result(), strict=True))
        finally:
            self.close()

    def close(self) -> None:
        """Stop the pool (also when the import fails half-way)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool, self._pending = None, None

    def normalize(self, raw: str, *, field: str = "phone") -> str:
        self._collect()
        value = (raw or "").strip()
        if value in self._parsed and self._parsed[value] is not None:
            return self._parsed[value]
        return normalize_phone(raw, field=field)  # raises the same error as ever
