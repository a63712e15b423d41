"""The campaign's message templates. SMS and email use alerts' "campaign.verify" and
"campaign.reminder" (they carry the personal link); a voice call cannot carry a link, so it reads
"campaign.voice" instead, with the school office's phone number. Translated from this app's
catalog (contacts/campaigns/locale)."""

from django.utils.translation import gettext_lazy as _

from alerts.templates import register_templates

VERIFY = "campaign.verify"
REMINDER = "campaign.reminder"
VOICE = "campaign.voice"


def register() -> None:
    register_templates(
        {
            VOICE: (
                _("Please confirm your emergency contacts"),
                _(
                    "{district}: please check your children's emergency contacts in the parent "
                    "portal, or call your school office at {office_phone}. Thank you."
                ),
            )
        }
    )
