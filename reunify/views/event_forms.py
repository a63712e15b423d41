"""The school event pages' forms: they parse what staff typed; the rules are the services'."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models_release import Accounting
from ..templatetags.reunify_tags import ACCOUNTED_NAMES


class EventForm(forms.Form):
    school = forms.TypedChoiceField(label=_("School"), coerce=int)
    site = forms.CharField(
        label=_("Where families come (the reunification site)"),
        max_length=200,
        required=False,
        help_text=_("Leave empty for the school itself."),
    )
    when = forms.CharField(
        label=_("When to come, as families will read it (for example: from 2:30 pm)"),
        max_length=200,
        required=False,
    )
    drill = forms.BooleanField(
        label=_("This is a drill (families are not messaged)"), required=False
    )

    def __init__(self, *args, schools=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = [(s.pk, s.name) for s in schools]


class EventConfirmForm(EventForm):
    idempotency_key = forms.CharField(max_length=120, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("school", "site", "when", "drill"):
            self.fields[name].widget = forms.HiddenInput()


class EventFilterForm(forms.Form):
    show = forms.ChoiceField(
        label=_("Show"),
        choices=[
            ("unaccounted", _("Only students not accounted for")),
            ("all", _("Every student")),
        ],
        required=False,
    )
    q = forms.CharField(label=_("Name or SIS id"), max_length=100, required=False)
    page = forms.IntegerField(min_value=1, required=False)


class AccountForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Accounted for"),
        choices=[(s, ACCOUNTED_NAMES[s]) for s in Accounting.Status.values],
    )
    note = forms.CharField(
        label=_("Where (for a student taken elsewhere)"), max_length=200, required=False
    )
