"""The staff pages' forms. They parse and label; the services check every rule."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AgencyRequest, DisclosureBasis


class AgencyRequestForm(forms.Form):
    school = forms.TypedChoiceField(label=_("School"), coerce=int)
    officer_name = forms.CharField(label=_("Officer's name"), max_length=200)
    badge_number = forms.CharField(label=_("Badge number"), max_length=60, required=False)
    agency = forms.CharField(label=_("Agency"), max_length=200)
    supervisor_phone = forms.CharField(
        label=_("Supervisor's phone number"), max_length=32, required=False
    )
    purpose = forms.CharField(
        label=_("Purpose of the visit"), widget=forms.Textarea(attrs={"rows": 3})
    )
    student_ids = forms.TypedMultipleChoiceField(
        label=_("Students asked for"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    records_requested = forms.CharField(
        label=_("Students or records asked for, in the officer's words"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    document_kind = forms.ChoiceField(
        label=_("Document shown"), choices=AgencyRequest.Document.choices, widget=forms.RadioSelect
    )
    document_other = forms.CharField(
        label=_("Which other document"), max_length=200, required=False
    )
    emergency_declared = forms.BooleanField(
        label=_("The officer declared an emergency (exigent circumstances, a lawful order)"),
        required=False,
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, schools, students, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = [("", "—"), *schools]
        self.fields["student_ids"].choices = [(s.id, s.label) for s in students]
        for name in ("officer_name", "agency", "purpose"):
            self.fields[name].error_messages["required"] = _("This is required.")


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"), choices=AgencyRequest.Outcome.choices, widget=forms.RadioSelect
    )
    decision_basis = forms.CharField(
        label=_("Legal basis of the decision"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    disclosure_basis = forms.ChoiceField(
        label=_("FERPA basis for what is given"),
        choices=[("", "—"), *DisclosureBasis.choices],
        required=False,
    )
    disclosed = forms.CharField(
        label=_("What is given"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    guardian_notice_forbidden = forms.BooleanField(
        label=_("The law forbids telling the family (e.g. a non-disclosure order)"), required=False
    )
    guardian_notice_reason = forms.CharField(
        label=_("Which order forbids it"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
