"""Domain errors shown to a guardian, in the guardian's language, next to the field concerned.

Services raise DomainError with an English message for logs and the API; the portal shows the
translated message for the error's code instead (falling back to a generic one).
"""

from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from privacy.errors import DomainError

MESSAGES = {
    "required": _("This field is required."),
    "too_long": _("This is too long (at most 100 characters)."),
    "invalid_phone": _(
        "This is not a valid phone number. Example: %(local)s or %(international)s."
    ),
    "invalid_email": _("This is not a valid email address. Example: name@example.com."),
    "invalid_choice": _("Choose one of the options."),
    "invalid_language": _("Choose one of the options."),
    "invalid_priority": _("Enter a whole number from 1 to 99, or leave it empty."),
    "duplicate": _("This person or number is already on the list."),
    "priority_taken": _("Another contact already has this place in the call order."),
    "prohibited_emergency_contact": _("This person cannot be an emergency contact."),
    "wrong_code": _("That code is not right. Check the message and try again."),
    "expired": _("This code has expired. Ask for a new one."),
    "too_many_attempts": _("Too many wrong codes. Ask for a new one."),
    "rate_limited": _("Too many requests. Please wait and try again later."),
    "code_wait": _(
        "Please wait a few minutes before asking for another code. "
        "A code you already have still works."
    ),
    "link_invalid": _("This link has expired or was already used. Ask for a code instead."),
    "last_pickup_adult": _(
        "This is the last adult allowed to pick up your child. Check the box to confirm."
    ),
    "last_contact_point": _("Keep at least one phone number or email address."),
    "shared_contact": _(
        "This person is also a contact for other children. Please ask the school office."
    ),
    "future_date": _("The date cannot be in the future."),
    "already_decided": _("This request was already decided."),
    "not_collected": _("The district does not collect this information."),
}
# Where one code needs different words for different fields.
FIELD_MESSAGES = {
    ("required", "channels"): _("Choose at least one way to reach you."),
    ("required", "students"): _("Choose at least one child."),
    ("required", "affidavit_signed_on"): _("Enter the date the affidavit was signed."),
}
FALLBACK = _("This could not be saved. Check the value and try again.")
# Phone numbers quoted in a message: put in as they are written in every language, each isolated
# from the text around it, or a right-to-left reader sees "0123-555-312" (Arabic).
PHONE_EXAMPLES = {"invalid_phone": {"local": "312-555-0123", "international": "+52 55 1234 5678"}}


def phone_isolated(number: str) -> str:
    """A phone number to put in running text: left to right whatever the text's direction."""
    return format_html('<bdi dir="ltr">{}</bdi>', number)


def message_for(error: DomainError) -> str:
    """The guardian's-language message for a domain error (HTML-safe: phone numbers in it are
    isolated)."""
    found = FIELD_MESSAGES.get((error.code, error.field)) or MESSAGES.get(error.code, FALLBACK)
    examples = PHONE_EXAMPLES.get(error.code)
    if examples is None:
        return str(found)
    numbers = {name: phone_isolated(number) for name, number in examples.items()}
    return mark_safe(conditional_escape(str(found)) % numbers)  # noqa: S308 (escaped, then safe parts)


def add_to_form(form: forms.Form, error: DomainError) -> None:
    """Put the translated error next to its field (or at the top of the form)."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, message_for(error))
