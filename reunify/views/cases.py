"""Open a case (search, preview, confirm), the crisis dashboard, a case's page and its printable
student cards, and closing a case."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from privacy.errors import DomainError
from privacy.selectors import students_under_agency_review
from privacy.services import access_record, access_record_many

from .. import access, selectors, services
from ..services import events as event_services
from . import forms
from .common import is_htmx, staff_page
from .errors import add_to_form, message_for, notice_text


def _opener_only(request) -> None:
    # Opening a case is the lead's: to anyone else the page does not exist.
    if not access.can_open_case(request.user):
        raise Http404


@staff_page
@require_GET
def case_search(request):
    """Step 1: search adults by name, phone or email and tick the unavailable ones."""
    _opener_only(request)
    form = forms.SearchForm(request.GET or None)
    found = []
    if form.is_valid():
        found = selectors.adults_search(request.user, form.cleaned_data["q"])
    context = {"form": form, "found": found, "searched": bool(form.is_bound and form.is_valid())}
    return render(request, "reunify/case_search.html", context)


def _preview_page(request, form, status=200, preview=None):
    names = {}
    notices = []
    if preview is not None:
        names = {p.pk: p.display_name for p in preview.guardians}
        names |= {s.pk: s.display_name for s in preview.students}
        notices = [notice_text(n, names) for n in preview.notices]
    context = {"form": form, "preview": preview, "notices": notices}
    return render(request, "reunify/case_preview.html", context, status=status)


@staff_page
@require_POST
def case_preview(request):
    """Step 2: who was found (each child, school, grade). Writes nothing."""
    _opener_only(request)
    form = forms.GuardiansForm(request.POST)
    if not form.is_valid():
        return _preview_page(request, form, status=400)
    try:
        preview = services.case_preview(
            actor=request.user, guardian_ids=form.cleaned_data["guardians"]
        )
    except DomainError as error:
        add_to_form(form, error)
        return _preview_page(request, form, status=error.status)
    confirm = forms.OpenForm(
        initial={
            "guardians": [p.pk for p in preview.guardians],
            "idempotency_key": forms.new_idempotency_key(),
        }
    )
    return _preview_page(request, confirm, preview=preview)


@staff_page
@require_POST
def case_open(request):
    """Step 3: open the case. The form's idempotency key makes a double submit give the same
    case."""
    _opener_only(request)
    form = forms.OpenForm(request.POST)
    if not form.is_valid():
        return _preview_page(request, form, status=400)
    data = form.cleaned_data
    try:
        result = services.case_open(
            actor=request.user,
            guardian_ids=data["guardians"],
            drill=data["drill"],
            idempotency_key=data["idempotency_key"],
        )
    except DomainError as error:
        add_to_form(form, error)
        return _preview_page(request, form, status=error.status)
    case = result.case
    if result.created:
        messages.success(request, _("Case %(number)s is open.") % {"number": case.number})
    else:
        messages.info(request, _("Case %(number)s was already open.") % {"number": case.number})
    for notice in result.notices:
        messages.warning(request, notice_text(notice, {}))
    return redirect(f"{reverse('reunify:dashboard')}#case-{case.pk}")


def _dashboard_context(request) -> dict:
    cases = selectors.dashboard_cases(request.user)
    access_record_many(
        actor=request.user,
        action="reunify.case.viewed",
        object_type="reunify.case",
        object_ids=[case.pk for case in cases],
    )
    return {
        "cases": cases,
        "can_close": access.can_close_case(request.user),
        "under_review": students_under_agency_review(
            cs.student_id for case in cases for cs in case.shown_students
        ),
    }


@staff_page
@require_GET
def dashboard(request):
    """Every open case the staff member may see; the list refreshes itself every 5 seconds."""
    template = "reunify/_dashboard_live.html" if is_htmx(request) else "reunify/dashboard.html"
    return render(request, template, _dashboard_context(request))


@staff_page
@require_GET
def dashboard_live(request):
    """The dashboard's self-refreshing part (htmx polls it)."""
    return render(request, "reunify/_dashboard_live.html", _dashboard_context(request))


@staff_page
@require_GET
def case_detail(request, case_id: int):
    """One case: its students, and its whole timeline."""
    case = selectors.get_case_for(request.user, case_id)
    access_record(actor=request.user, action="reunify.case.viewed", obj=case)
    context = {
        "case": case,
        "timeline": selectors.case_timeline(case),
        "can_report": access.can_view_report(request.user),
        "under_review": students_under_agency_review(
            case.students.values_list("student_id", flat=True)
        ),
    }
    return render(request, "reunify/case_detail.html", context)


@staff_page
@require_GET
def case_cards(request, case_id: int):
    """A printable card per student (the print stylesheet puts one on each page)."""
    case = selectors.get_case_for(request.user, case_id)
    cards = selectors.print_cards(request.user, case)
    access_record_many(
        actor=request.user,
        action="reunify.student_card.printed",
        object_type="reunify.casestudent",
        object_ids=[card.case_student.pk for card in cards],
    )
    under_review = students_under_agency_review(card.case_student.student_id for card in cards)
    context = {"case": case, "cards": cards, "under_review": under_review}
    return render(request, "reunify/case_cards.html", context)


@staff_page
@require_POST
def case_close(request, case_id: int):
    case = selectors.get_case_for(request.user, case_id)
    form = forms.CloseForm(request.POST)
    if form.is_valid():
        try:
            # The API's rule: with students still in the school's care, the reason is required.
            event_services.case_close_checked(
                actor=request.user, case=case, note=form.cleaned_data["note"]
            )
        except DomainError as error:
            messages.error(request, message_for(error))
        else:
            messages.success(request, _("Case %(number)s is closed.") % {"number": case.number})
    else:
        messages.error(request, form.errors.as_text())
    return redirect("reunify:dashboard")
