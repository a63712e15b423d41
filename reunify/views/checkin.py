"""The page behind the check-in link of a school event's notice: a guardian says which of their
children they come for and in about how many minutes, so the reunification site's desk sees who
is coming for whom. No sign-in: the signed token names the event and the adult. Checking in
proves nothing; the desk still checks identity and authorization.

The path holds a personal token, so, as the portal's sign-in link does, this view refuses other
methods itself and answers a bad or expired link with a page of its own (200), so that neither
Django's method check nor its 4xx logging writes the path; privacy.logredact redacts it from any
log line that names it all the same."""

from django import forms
from django.conf import settings
from django.http import HttpResponseNotAllowed
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from alerts.templates import language_for
from contacts.models import Person
from privacy.errors import DomainError

from ..models import Case
from ..services import events

CHECKIN_METHODS = ["GET", "HEAD", "POST"]

ERRORS = {
    "link_expired": _("This check-in link has expired."),
    "bad_link": _("This check-in link is not valid."),
    "case_closed": _(
        "This reunification has ended. If you still need to pick up a child, call the school."
    ),
    "required": _("Choose the children you come for."),
    "not_your_child": _("Choose the children you come for."),
    "invalid": _("Write the minutes as a number from 0 to 600."),
}


class CheckInForm(forms.Form):
    students = forms.TypedMultipleChoiceField(
        label=_("I am coming for"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": ERRORS["required"], "invalid_choice": ERRORS["required"]},
    )
    eta_minutes = forms.IntegerField(
        label=_("I will arrive in about (minutes)"),
        min_value=0,
        max_value=events.MAX_ETA_MINUTES,
        error_messages={
            "required": ERRORS["invalid"],
            "invalid": ERRORS["invalid"],
            "min_value": ERRORS["invalid"],
            "max_value": ERRORS["invalid"],
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, children=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["students"].choices = [
            (cs.student_id, cs.student.display_name) for cs in children
        ]


def _read(token):
    """(case, person) of the link; DomainError for a bad or expired link or an ended event."""
    case_id, person_id = events.read_checkin_token(token)
    case = Case.objects.filter(pk=case_id).select_related("school").first()
    person = Person.objects.filter(pk=person_id).first()
    if case is None or person is None:
        raise DomainError("This check-in link is not valid.", code="bad_link")
    if not case.is_open:
        raise DomainError("This reunification has ended.", code="case_closed")
    return case, person


def _in_their_language(request, person) -> str:
    """The language the parent chose on this site, else the one the notice was sent in."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in dict(settings.LANGUAGES):
        return chosen
    return language_for(person.preferred_language if person else None)


@never_cache
def checkin_view(request, token: str):
    if request.method not in CHECKIN_METHODS:
        return HttpResponseNotAllowed(CHECKIN_METHODS)
    try:
        case, person = _read(token)
    except DomainError as error:
        return render(
            request, "reunify/checkin.html", {"error": ERRORS.get(error.code, ERRORS["bad_link"])}
        )
    with translation.override(_in_their_language(request, person)):
        children = events.checkin_children(case, person.pk)
        form = CheckInForm(
            request.POST if request.method == "POST" else None,
            children=children,
            initial={"students": [cs.student_id for cs in children]},
        )
        context = {"case": case, "person": person, "children": children, "form": form}
        if request.method == "POST" and form.is_valid():
            try:
                checkin = events.event_checkin(
                    token=token,
                    students=form.cleaned_data["students"],
                    eta_minutes=form.cleaned_data["eta_minutes"],
                )
            except DomainError as error:
                form.add_error(
                    error.field if error.field in form.fields else None,
                    str(
                        ERRORS.get(
                            error.code,
                            gettext("This could not be saved. Check the value and try again."),
                        )
                    ),
                )
            else:
                context["checkin"] = checkin
        return render(request, "reunify/checkin.html", context)
