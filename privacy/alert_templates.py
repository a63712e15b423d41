"""privacy's message templates, registered with alerts when the app is ready (alerts renders
every message). Translations are in privacy/locale.

No body names a student: an SMS can be read over a shoulder or on a lock screen."""

from django.utils.translation import gettext_lazy as _

AGENCY_ALERT = "privacy.agency_request"
AGENCY_ALERT_EMERGENCY = "privacy.agency_request_emergency"
AGENCY_GUARDIAN_NOTICE = "privacy.agency_request_guardian"

TEMPLATES = {
    AGENCY_ALERT: (
        _("An outside agency's request is waiting for the legal office"),
        _(
            "{district}: an outside agency's request at {school} waits for the legal office "
            "(request {reference}). Nothing is shared before a decision."
        ),
    ),
    AGENCY_ALERT_EMERGENCY: (
        _("URGENT: an officer declared an emergency at a school"),
        _(
            "{district} URGENT: an officer at {school} declared an emergency; staff comply and "
            "do not interfere (request {reference}). Call the school now."
        ),
    ),
    AGENCY_GUARDIAN_NOTICE: (
        _("An outside agency asked about your child"),
        _(
            "{district}: an outside agency asked {school} about your child. The legal office "
            "reviewed it. See the family portal or call {legal_phone}."
        ),
    ),
}


def register() -> None:
    from alerts.templates import register_templates

    register_templates(TEMPLATES)
