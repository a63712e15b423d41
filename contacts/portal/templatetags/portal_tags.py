from django import template
from django.conf import settings

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


@register.simple_tag
def district_name() -> str:
    return settings.DISTRICT_NAME


@register.simple_tag
def portal_languages() -> list[tuple[str, str]]:
    """Each language named in itself (settings.LANGUAGES), never translated into the current one."""
    return list(settings.LANGUAGES)
