"""Forms parse and label input; the rules live in the services.

Phones and emails are parsed here as well as in the services, so that a form with several
mistakes reports all of them at once instead of one per submission."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from contacts.lib.phones import normalize_email, normalize_phone
from contacts.models import ContactPoint, StudentContact
from privacy.errors import DomainError

from .errors import message_for

# A guardian adds other adults: the relationships a school records for a legal guardian
# (mother, father, parent, legal guardian, foster parent) come from the school's own records.
RELATIONSHIPS = [
    ("grandparent", _("Grandparent")),
    ("aunt_uncle", _("Aunt or uncle")),
    ("sibling", _("Adult brother or sister")),
    ("relative", _("Other relative")),
    ("stepparent", _("Stepparent")),
    ("friend", _("Family friend")),
    ("neighbor", _("Neighbor")),
    ("caregiver", _("Caregiver")),
    ("other", _("Other")),
]
LABELS = [
    (ContactPoint.Label.MOBILE, _("Mobile")),
    (ContactPoint.Label.HOME, _("Home")),
    (ContactPoint.Label.WORK, _("Work")),
    (ContactPoint.Label.OTHER, _("Other")),
]
LANGUAGES = [("en", "English"), ("es", "Español"), ("ar", "العربية"), ("vi", "Tiếng Việt")]
# Every relationship and pickup status, for display in the guardian's language.
RELATIONSHIP_NAMES = dict(RELATIONSHIPS) | {
    "mother": _("Mother"),
    "father": _("Father"),
    "parent": _("Parent"),
    "guardian": _("Legal guardian"),
    "foster": _("Foster parent"),
}
PICKUP_NAMES = {
    StudentContact.Pickup.ALLOWED: _("May pick up"),
    StudentContact.Pickup.PENDING: _("Pickup: waiting for school review"),
    StudentContact.Pickup.NOT_ALLOWED: _("May not pick up"),
}


class SignInForm(forms.Form):
    identifier = forms.CharField(
        label=_("Mobile phone number or email address"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "email"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )


class ChooseForm(forms.Form):
    """Which guardian on a shared address is signing in: one button per name, each posting an id
    (the service decides whether that id may be chosen)."""

    person = forms.IntegerField(label=_("Choose your name"), min_value=1, max_value=2**63 - 1)


def parsed(parse, value: str, field: str) -> str:
    """`parse(value, field=field)` (a phone's or email's normaliser), its DomainError made the
    field's error in the guardian's language."""
    try:
        return parse(value, field=field)
    except DomainError as error:
        raise ValidationError(message_for(error), code=error.code) from error


class ContactForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    # Starts on "Choose…": a guardian in a hurry must not add everyone as a grandparent.
    relationship = forms.ChoiceField(
        label=_("Relationship to the child"), choices=[("", _("Choose…")), *RELATIONSHIPS]
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )

    def clean_phone(self) -> str:
        return parsed(normalize_phone, self.cleaned_data["phone"], "phone")


class ContactAddForm(ContactForm):
    email = forms.CharField(
        label=_("Email address (optional)"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    students = forms.TypedMultipleChoiceField(
        label=_("For which children?"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    emergency = forms.BooleanField(
        label=_("Emergency contact (the school may call this person)"), required=False
    )
    pickup = forms.BooleanField(
        label=_("May pick up the children (the school reviews this first)"), required=False
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        return parsed(normalize_email, email, "email") if email.strip() else ""

    def __init__(self, *args, students=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["students"].choices = [(s.pk, s.display_name) for s in students]
        if not self.is_bound:
            self.initial.setdefault("students", [s.pk for s in students])
            self.initial.setdefault("emergency", True)


class ContactEditForm(ContactForm):
    emergency_priority = forms.IntegerField(
        label=_("Place in the call order (1 = called first; empty = not an emergency contact)"),
        required=False,
        min_value=1,
        max_value=99,
    )
    pickup = forms.BooleanField(label=_("May pick up the child"), required=False)
    confirm = forms.BooleanField(
        label=_("Yes, I understand this leaves no other adult allowed to pick up"), required=False
    )


class RemoveForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, I understand this leaves no other adult allowed to pick up"), required=False
    )


class OwnContactPointForm(forms.Form):
    value = forms.CharField(label=_("New phone number or email address"), max_length=254)
    label = forms.ChoiceField(label=_("Type"), choices=LABELS)


class PreferencesForm(forms.Form):
    preferred_language = forms.ChoiceField(label=_("Language for messages"), choices=LANGUAGES)
    sms = forms.BooleanField(label=_("Text message (SMS)"), required=False)
    email = forms.BooleanField(label=_("Email"), required=False)
    voice = forms.BooleanField(label=_("Phone call"), required=False)


class PlanForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    relationship = forms.ChoiceField(
        label=_("Relationship to the children"),
        choices=RELATIONSHIPS,
        initial="caregiver",
        required=False,
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    affidavit_on_file = forms.BooleanField(
        label=_("A signed caregiver's authorization affidavit is on file at school"),
        required=False,
    )
    affidavit_signed_on = forms.DateField(
        label=_("Date the affidavit was signed"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def caregiver(self) -> dict | None:
        data = self.cleaned_data
        if not any(data.get(k) for k in ("first_name", "last_name", "phone")):
            return None
        return {k: data.get(k) or "" for k in ("first_name", "last_name", "relationship", "phone")}


class StaffLoginForm(AuthenticationForm):
    """Django's login form, saying so when the tries are used up (contacts/portal/backends.py)."""

    def get_invalid_login_error(self):
        from .backends import THROTTLED

        if getattr(self.request, THROTTLED, False):
            return ValidationError(
                _("Too many sign-in attempts. Please wait 15 minutes and try again."),
                code="rate_limited",
            )
        return super().get_invalid_login_error()
