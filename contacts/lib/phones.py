"""Phone numbers and email addresses: parse, validate, normalise.

Phones are stored as E.164. A number written without a country code is read in the district's
region (settings.PHONE_REGION, default US); an international number (+52 …) is kept as it is.
"""

import re
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
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == settings.PHONE_REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
