"""The staff pages' forms, and the user-language text of the services' error codes."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.models import School
from privacy.errors import DomainError

from .models import Campaign, Recipient

CHANNEL_CHOICES = [
    ("sms", _("Text message (SMS)")),
    ("email", _("Email")),
    ("voice", _("Voice call")),
]
SCOPE_CHOICES = [
    (Campaign.Scope.DISTRICT, _("Whole district")),
    (Campaign.Scope.SCHOOLS, _("Some schools")),
    (Campaign.Scope.GRADES, _("Some grades")),
]
OUTCOME_CHOICES = [
    (Recipient.Response.PHONE_CONFIRMED, _("Confirmed by phone")),
    (Recipient.Response.PHONE_UPDATED, _("Updated")),
    (Recipient.Response.WRONG_NUMBER, _("Wrong number")),
    (Recipient.Response.NO_ANSWER, _("No answer")),
]

# The services' error codes in the staff member's language (the API keeps the English message).
ERROR_TEXT = {
    "required": _("This field is required."),
    "too_long": _("This is too long."),
    "unknown_channel": _("Choose SMS, email or voice."),
    "duplicate": _("A value is listed twice."),
    "naive_time": _("Give a date and time."),
    "closes_before_opens": _("The campaign must close after it opens."),
    "reminder_after_close": _("A reminder would come after the campaign closes."),
    "invalid": _("Enter whole numbers of days after opening, such as 3, 7."),
    "unknown_scope": _("Choose who the campaign is for."),
    "invalid_scope": _("A district campaign names no schools or grades."),
    "empty": _("Choose at least one."),
    "unknown_school": _("That school does not exist."),
    "unknown_grade": _("No active student is in that grade."),
    "unknown_student": _("Some of these students are no longer active."),
    "empty_scope": _("Nobody is in this campaign's scope."),
    "closed": _("This campaign is closed."),
    "already_launched": _("This campaign was launched already."),
    "wrong_status": _("This cannot be done to the campaign now."),
    "unknown_outcome": _("Choose an outcome."),
}


def message_for(error: DomainError) -> str:
    return str(ERROR_TEXT.get(error.code, _("That did not work. Check the form and try again.")))


def _numbers(raw: str, field: str) -> list[int]:
    parts = [p for p in raw.replace(";", ",").replace(" ", ",").split(",") if p]
    if not all(p.isascii() and p.isdigit() and len(p) <= 3 for p in parts):
        raise forms.ValidationError(ERROR_TEXT["invalid"], code="invalid")
    return [int(p) for p in parts]


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    scope = forms.ChoiceField(label=_("Who"), choices=SCOPE_CHOICES, widget=forms.RadioSelect)
    schools = forms.ModelMultipleChoiceField(
        label=_("Schools"),
        queryset=School.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    grades = forms.CharField(
        label=_("Grades"), required=False, help_text=_("Separated by commas, such as K, 01, 02.")
    )
    first_channel = forms.ChoiceField(label=_("First channel"), choices=CHANNEL_CHOICES)
    second_channel = forms.ChoiceField(
        label=_("Then"), choices=[("", "—"), *CHANNEL_CHOICES], required=False
    )
    third_channel = forms.ChoiceField(
        label=_("Then"), choices=[("", "—"), *CHANNEL_CHOICES], required=False
    )
    opens_at = forms.DateTimeField(
        label=_("Opens"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    closes_at = forms.DateTimeField(
        label=_("Closes"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reminder_days = forms.CharField(
        label=_("Reminders (days after opening)"),
        required=False,
        help_text=_("Separated by commas, such as 3, 7."),
    )

    def clean_reminder_days(self) -> list[int]:
        return _numbers(self.cleaned_data["reminder_days"], "reminder_days")

    def clean_grades(self) -> list[str]:
        raw = self.cleaned_data["grades"]
        return [g.strip() for g in raw.split(",") if g.strip()]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        channels = [data["first_channel"], data["second_channel"], data["third_channel"]]
        scope = data["scope"]
        return {
            "name": data["name"],
            "scope": scope,
            "school_ids": [s.pk for s in data["schools"]] if scope != "district" else [],
            "grades": data["grades"] if scope == Campaign.Scope.GRADES else [],
            "channels": [c for c in channels if c],
            "opens_at": data["opens_at"],
            "closes_at": data["closes_at"],
            "reminder_days": data["reminder_days"],
        }

    def add_domain_error(self, error: DomainError) -> None:
        field = {"scope": "scope", "channels": "first_channel", "status": None}.get(
            error.field, error.field
        )
        self.add_error(field if field in self.fields else None, message_for(error))

    @staticmethod
    def initial_times() -> dict:
        now = timezone.localtime().replace(second=0, microsecond=0)
        return {
            "opens_at": now,
            "closes_at": now + timedelta(days=14),
            "reminder_days": "3, 7",
            "first_channel": "sms",
            "second_channel": "email",
            "third_channel": "voice",
            "scope": "district",
        }
