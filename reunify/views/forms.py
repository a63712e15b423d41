"""The staff pages' forms: they parse and bound what was typed; the rules are the services'."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Outreach

OUTCOME_NAMES = {
    Outreach.Status.COMING: _("Coming: will pick up"),
    Outreach.Status.DECLINED: _("Cannot come"),
    Outreach.Status.NO_ANSWER: _("No answer"),
    Outreach.Status.UNREACHABLE: _("Number does not work"),
}


class IdListField(forms.Field):
    """Person ids posted as repeated fields (checkboxes or hidden inputs)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("Choose from the list.")}

    def to_python(self, value):
        if not value:
            return []
        try:
            ids = [int(v) for v in value]
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc
        if any(pk < 1 for pk in ids):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return list(dict.fromkeys(ids))


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, phone number or email address"), max_length=100, required=False
    )


class GuardiansForm(forms.Form):
    guardians = IdListField(
        label=_("Unavailable adults"),
        required=True,
        error_messages={"required": _("Choose at least one unavailable adult.")},
    )


def new_idempotency_key() -> str:
    """Made when the confirmation form is drawn: a double submit sends the same key twice."""
    return f"page-{uuid.uuid4()}"


class OpenForm(GuardiansForm):
    drill = forms.BooleanField(
        label=_("This is a drill (families are not messaged)"), required=False
    )
    idempotency_key = forms.CharField(max_length=120, widget=forms.HiddenInput)


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("Reason for closing"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CompleteForm(forms.Form):
    notes = forms.CharField(label=_("Note (optional)"), max_length=2000, required=False)


class NoteForm(forms.Form):
    notes = forms.CharField(
        label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CallForm(forms.Form):
    person = forms.TypedChoiceField(label=_("Adult called"), coerce=int)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=list(OUTCOME_NAMES.items()))
    note = forms.CharField(label=_("Note (optional)"), max_length=250, required=False)

    def __init__(self, *args, adults=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(p.pk, p.display_name) for p in adults]


class SupportForm(forms.Form):
    resources = forms.TypedMultipleChoiceField(
        label=_("Support resources to send"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one resource.")},
    )

    def __init__(self, *args, resources=(), language="en", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resources"].choices = [
            (r.pk, f"{r.name}: {r.text_in(language)}") for r in resources
        ]
