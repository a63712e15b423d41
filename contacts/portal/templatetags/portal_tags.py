from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, reverse

from contacts.lib.phones import display_phone

from ..forms import PICKUP_NAMES, RELATIONSHIP_NAMES

register = template.Library()


@register.filter
def relationship_name(value: str) -> str:
    return str(RELATIONSHIP_NAMES.get(value, RELATIONSHIP_NAMES["other"]))


@register.filter
def pickup_name(value: str) -> str:
    return str(PICKUP_NAMES.get(value, ""))


@register.filter
def phones_of(person) -> list[str]:
    """The adult's phone numbers, formatted for reading (uses the prefetched contact points)."""
    return [display_phone(p.value) for p in person.contact_points.all() if p.kind == "phone"]


@register.filter
def phone(value: str) -> str:
    return display_phone(value)


# Stands in for the id while reversing; no real id is this large.
_ID_MARK = 987_654_321_987


@lru_cache(maxsize=64)
def _around_id(name: str, script_prefix: str) -> tuple[str, str]:
    head, tail = reverse(name, args=[_ID_MARK]).split(str(_ID_MARK))
    return head, tail


@register.simple_tag
def id_url(name: str, pk: int) -> str:
    """`{% url name pk %}` for a URL whose one argument is an `<int:...>` id, reversed once per
    process: a cold household page links each contact three times, and reversing every link was
    a large share of rendering it."""
    head, tail = _around_id(name, get_script_prefix())
    return f"{head}{int(pk)}{tail}"


@lru_cache(maxsize=64)
def _reversed(name: str, script_prefix: str) -> str:
    return reverse(name)


def plain_url(name: str) -> str:
    """reverse(name) for a URL without arguments, reversed once per process (and script prefix):
    for the redirect after the portal's busiest POST."""
    return _reversed(name, get_script_prefix())


@register.simple_tag
def district_name() -> str:
    return settings.DISTRICT_NAME


@register.simple_tag
def portal_languages() -> list[tuple[str, str]]:
    """Each language named in itself (settings.LANGUAGES), never translated into the current one."""
    return list(settings.LANGUAGES)
