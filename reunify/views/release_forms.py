"""The release screen's forms: they parse and bound what the desk typed into the arguments of
the release services; the rules (who may take a student, what needs an override) are the
services'. Empty optional text becomes None, because the services refuse an empty reason."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models_release import Identity, IdentityEstablished, ReleaseApproval
from ..templatetags.reunify_tags import adult_label

OTHER = "other"
SELF = "self"

IDENTITY_NAMES = {
    Identity.PHOTO_ID: _("Photo ID checked (any government photo ID, from any country)"),
    Identity.OTHER_PHOTO_ID: _("Other photo ID (work, school)"),
    Identity.NO_PHOTO_ID: _("No photo ID (a crisis lead approves)"),
}
ESTABLISHED_NAMES = {
    IdentityEstablished.KNOWN_TO_STAFF: _("Known to staff"),
    IdentityEstablished.GUARDIAN_CODE: _("A legal guardian's code"),
    IdentityEstablished.PHOTO_ON_FILE: _("Photo on file"),
}
APPROVAL_NAMES = {
    ReleaseApproval.Kind.OVERRIDE: _("Release to an adult not on the pickup list"),
    ReleaseApproval.Kind.NO_PHOTO_ID: _("Release without a photo ID"),
    ReleaseApproval.Kind.STUDENT_HOLD: _('Release after the student\'s "no" was talked through'),
    ReleaseApproval.Kind.SELF_RELEASE: _("The student leaves on their own"),
}
COMFORTABLE = [("yes", _("Yes")), ("no", _("No"))]


def _none_if_empty(value: str) -> str | None:
    return value or None


class DeskSearchForm(forms.Form):
    by = forms.ChoiceField(
        label=_("Look up"),
        choices=[("student", _("A student (name or SIS id)")), ("adult", _("The arriving adult"))],
        widget=forms.RadioSelect,
        required=False,
    )
    q = forms.CharField(label=_("Name, SIS id or phone number"), max_length=100, required=False)

    def clean_by(self):
        return self.cleaned_data["by"] or "student"


class AdultChoiceForm(forms.Form):
    """Who takes the student: an adult on file (allowed, or needing an override), someone on no
    list (by name), or, at a school event, the student on their own."""

    person = forms.ChoiceField(label=_("The adult"), widget=forms.RadioSelect)
    adult_name = forms.CharField(
        label=_("Name of the adult not on the list"), max_length=200, required=False
    )

    def __init__(self, *args, options, self_release: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            (str(a.person_id), adult_label(a)) for a in [*options.allowed, *options.needs_override]
        ]
        choices.append((OTHER, _("Someone not on the list")))
        if self_release:
            choices.append((SELF, _("The student leaves on their own")))
        self.fields["person"].choices = choices

    def clean(self):
        data = super().clean()
        choice = data.get("person")
        data["self_release"] = choice == SELF
        if choice == OTHER:
            if not data.get("adult_name", "").strip():
                self.add_error("adult_name", _("Write the name of the adult."))
            data["person_id"] = None
        elif choice == SELF or choice is None:
            data["person_id"] = None
            data["adult_name"] = ""
        else:
            data["person_id"] = int(choice)
            data["adult_name"] = ""
        return data


class ReleaseForm(AdultChoiceForm):
    """The four steps: the adult, the identity check, the student's answer, the signature."""

    identity = forms.ChoiceField(
        label=_("How identity was confirmed"),
        choices=list(IDENTITY_NAMES.items()),
        widget=forms.RadioSelect,
        required=False,
    )
    identity_established = forms.ChoiceField(
        label=_("Without a photo ID, identity was established by"),
        choices=[("", "—"), *ESTABLISHED_NAMES.items()],
        required=False,
    )
    student_comfortable = forms.ChoiceField(
        label=_("Asked privately: are you comfortable going with this adult?"),
        choices=COMFORTABLE,
        widget=forms.RadioSelect,
    )
    guardian_code = forms.CharField(
        label=_("A legal guardian's code (6 digits), if they told it to you"),
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    override_reason = forms.CharField(
        label=_("Crisis lead's override: the reason"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    hold_note = forms.CharField(
        label=_('Crisis lead: the student\'s "no" was talked through (note)'),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    approval_note = forms.CharField(
        label=_("Official's approval for leaving alone (note)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # A PNG data URL drawn on the canvas (reunify/static/reunify/signature.js).
    signature = forms.CharField(max_length=210_000, required=False, widget=forms.HiddenInput)
    signature_initials = forms.CharField(
        label=_("Or the adult types their initials"), max_length=12, required=False
    )
    idempotency_key = forms.CharField(max_length=120, widget=forms.HiddenInput)

    def __init__(self, *args, lead: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not lead:
            del self.fields["override_reason"]
            del self.fields["hold_note"]

    def service_arguments(self) -> dict:
        """The keyword arguments of student_release."""
        data = self.cleaned_data
        return {
            "person": data["person_id"],
            "adult_name": data["adult_name"].strip(),
            "self_release": data["self_release"],
            "identity": data["identity"] or None,
            "identity_established": data["identity_established"],
            "student_comfortable": data["student_comfortable"] == "yes",
            "guardian_code": _none_if_empty(data["guardian_code"].strip()),
            "override_reason": _none_if_empty(data.get("override_reason", "").strip()),
            "hold_note": _none_if_empty(data.get("hold_note", "").strip()),
            "approval_note": _none_if_empty(data["approval_note"].strip()),
            "signature_image": data["signature"],
            "signature_initials": data["signature_initials"].strip(),
            "idempotency_key": data["idempotency_key"],
        }


class CodeRequestForm(AdultChoiceForm):
    """Ask a legal guardian, on a phone already on file, to authorize the adult by code."""

    # Its fields sit on the page beside the release form's: a prefix keeps names and ids apart.
    prefix = "code"

    guardian = forms.TypedChoiceField(label=_("Legal guardian to ask"), coerce=int)

    def __init__(self, *args, guardians=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guardian"].choices = [(p.pk, p.display_name) for p in guardians]


class ApprovalForm(AdultChoiceForm):
    """A crisis lead approves ahead what the desk's release will need."""

    prefix = "approval"

    kind = forms.ChoiceField(label=_("Approve"), choices=list(APPROVAL_NAMES.items()))
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class RefuseForm(forms.Form):
    person = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
