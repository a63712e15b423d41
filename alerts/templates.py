"""Message templates, one per key, translated with Django's gettext catalogs
(alerts/locale/<lang>/LC_MESSAGES/django.po). The same body serves SMS, voice (read aloud with
<Say>) and email, so every body is short, names the district, and carries no markup."""

import logging
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from . import sms

logger = logging.getLogger(__name__)

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
    "campaign.verify": (
        _("Please confirm your emergency contacts"),
        _(
            "{district}: please check your children's emergency contacts: {link} Reply YES if all are correct."
        ),
    ),
    "campaign.reminder": (
        _("Reminder: confirm your emergency contacts"),
        _(
            "{district}: reminder, please check your children's emergency contacts by {deadline}: {link}"
        ),
    ),
    "case.pickup_request": (
        _("Can you pick up a student today?"),
        _(
            "{district}: can you pick up {students} at {school} today? Reply YES if you can. Bring a photo ID."
        ),
    ),
    "case.pickup_confirmed": (
        _("Thank you: pickup confirmed"),
        _(
            "{district}: thank you. Please come to the office of {school} with a photo ID to pick up {students}."
        ),
    ),
    "alerts.help": (
        _("Help"),
        _(
            "{district} family alerts. Reply STOP to end texts, START to resume. For help, call your school office."
        ),
    ),
}


def register_templates(templates: dict[str, tuple[Any, Any]]) -> None:
    """Let a higher app add its own templates, key -> (subject, body) as above (call it in
    AppConfig.ready()). The app keeps their translations in its own locale folder; Django's
    gettext reads every app's catalog. A key registered again with other text is a bug."""
    for key, value in templates.items():
        if key in TEMPLATES and TEMPLATES[key] != value:
            raise ValueError(f"message template {key!r} is already registered")
        TEMPLATES[key] = value


def language_for(preferred: str | None) -> str:
    """The recipient's language if we have templates in it (es-MX → es), else English."""
    primary = (preferred or "").replace("_", "-").split("-")[0].lower()
    return primary if primary in dict(settings.LANGUAGES) else "en"


# (key, language) -> (the registered entry, its subject and body translated): gettext's answer
# for each, looked up once per process rather than once per message, and again when the entry
# or the settings that choose the catalogs change.
_translated: dict[tuple[str, str], tuple[tuple[Any, Any], tuple[str, str]]] = {}


@receiver(setting_changed)
def _catalogs_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "INSTALLED_APPS"}:
        _translated.clear()


def _texts(key: str, language: str) -> tuple[str, str]:
    entry = TEMPLATES[key]
    known = _translated.get((key, language))
    if known is not None and known[0] is entry:
        return known[1]
    with translation.override(language):
        texts = str(entry[0]), str(entry[1])
    _translated[(key, language)] = (entry, texts)
    return texts


def render_template(
    key: str, language: str, channel: str, context: dict[str, Any]
) -> tuple[str, str]:
    """Return (subject, body) for a template in a language. Raises KeyError for an unknown key
    and for a context that lacks one of the template's fields."""
    subject, body = _texts(key, language_for(language))
    values = {"district": settings.DISTRICT_NAME, **context}
    rendered = subject.format(**values), body.format(**values)
    if channel == "sms" and sms.segments(rendered[1]) > sms.MAX_SEGMENTS:
        # Still sent (Twilio splits up to 1,600 characters) but a template or a caller's
        # context has grown past what we promise; key only, the body may hold a code.
        logger.warning("alerts sms body over %s segments: template=%s", sms.MAX_SEGMENTS, key)
    return rendered
