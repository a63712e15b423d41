"""Message templates, one per key, translated with Django's gettext catalogs."""

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

# key -> (subject, body). Bodies are str.format templates; {district} is always available.
TEMPLATES: dict[str, tuple[Any, Any]] = {
    "portal.code": (
        _("Your sign-in code"),
        _("{district}: your code is {code}. It expires in 10 minutes. Do not share it."),
    ),
    "portal.verify_contact": (
        _("Confirm this contact"),
        _("{district}: your confirmation code is {code}. It expires in 10 minutes."),
    ),
    "portal.pickup_pending": (
        _("A pickup adult was added"),
        _(
            "{district}: {adult} was added as a pickup adult for {students}. School staff will review it."
        ),
    ),
}


def render_template(
    key: str, language: str, channel: str, context: dict[str, Any]
) -> tuple[str, str]:
    subject, body = TEMPLATES[key]
    values = {"district": settings.DISTRICT_NAME, **context}
    lang = language if language in dict(settings.LANGUAGES) else "en"
    with translation.override(lang):
        return str(subject).format(**values), str(body).format(**values)
