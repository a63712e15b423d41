"""School events (mass reunification) on the staff shell: a crisis lead opens one for a school
(choose, preview, confirm), and the event's page keeps student accountability (each student
marked present at the site, absent that day, with a nurse or transported elsewhere; the
unaccounted listed first) beside the queue of adults who checked in ahead from the notice's
link. Releases go through the release desk. Every write is one of reunify.services.events."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from contacts.selectors import schools_visible_to
from privacy.errors import DomainError
from privacy.selectors import students_under_agency_review
from privacy.services import access_record_many

from .. import access, selectors, selectors_release
from ..models import Case
from ..services import events as event_services
from . import event_forms
from .common import is_htmx, staff_page
from .errors import add_to_form, message_for
from .forms import new_idempotency_key

PAGE_SIZE = 50


def _lead_only(request) -> None:
    if not access.can_open_case(request.user):
        raise Http404


def _schools(request):
    return list(schools_visible_to(request.user).order_by("name"))


@staff_page
@require_GET
def event_start(request):
    """Step 1: the school, where and when families come, and whether it is a drill."""
    _lead_only(request)
    form = event_forms.EventForm(schools=_schools(request))
    return render(request, "reunify/event_open.html", {"form": form})


@staff_page
@require_POST
def event_preview(request):
    """Step 2: how many students and guardians the notice reaches. Writes nothing."""
    _lead_only(request)
    schools = _schools(request)
    form = event_forms.EventForm(request.POST, schools=schools)
    if not form.is_valid():
        return render(request, "reunify/event_open.html", {"form": form}, status=400)
    try:
        preview = selectors_release.school_event_preview(request.user, form.cleaned_data["school"])
    except DomainError as error:
        add_to_form(form, error)
        return render(request, "reunify/event_open.html", {"form": form}, status=400)
    confirm = event_forms.EventConfirmForm(
        initial={**form.cleaned_data, "idempotency_key": new_idempotency_key()}, schools=schools
    )
    context = {"form": form, "preview": preview, "confirm": confirm}
    return render(request, "reunify/event_open.html", context)


@staff_page
@require_POST
def event_open(request):
    """Step 3: open the event and send every guardian the notice. A double submit gives the
    same event (the form's idempotency key)."""
    _lead_only(request)
    form = event_forms.EventConfirmForm(request.POST, schools=_schools(request))
    if not form.is_valid():
        return render(request, "reunify/event_open.html", {"form": form}, status=400)
    data = form.cleaned_data
    try:
        result = event_services.school_event_open(
            actor=request.user,
            school=data["school"],
            drill=data["drill"],
            site=data["site"],
            when=data["when"],
            idempotency_key=data["idempotency_key"],
        )
    except DomainError as error:
        add_to_form(form, error)
        return render(request, "reunify/event_open.html", {"form": form}, status=error.status)
    case = result.case
    if result.created:
        messages.success(request, _("Case %(number)s is open.") % {"number": case.number})
    else:
        messages.info(request, _("Case %(number)s was already open.") % {"number": case.number})
    return redirect("reunify:event", case.pk)


def _event_case(request, case_id: int) -> Case:
    case = selectors.get_case_for(request.user, case_id)
    if case.kind != Case.Kind.SCHOOL_EVENT or not access.can_record_release(request.user):
        raise Http404
    return case


def _students_context(request, case) -> dict:
    form = event_forms.EventFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    show = data.get("show") or "unaccounted"
    try:
        students = selectors_release.event_students(
            request.user, case, unaccounted_only=show == "unaccounted", q=data.get("q") or ""
        )
    except DomainError as error:
        add_to_form(form, error)
        students = selectors_release.event_students(request.user, case, unaccounted_only=True)
    page = Paginator(students, PAGE_SIZE).get_page(data.get("page") or 1)
    access_record_many(
        actor=request.user,
        action="reunify.event_students.viewed",
        object_type="reunify.casestudent",
        object_ids=[cs.pk for cs in page],
    )
    return {
        "case": case,
        "filter": form,
        "show": show,
        "page": page,
        "counts": selectors_release.event_counts(request.user, case),
        "account_form": event_forms.AccountForm(),
        "under_review": students_under_agency_review(cs.student_id for cs in page),
    }


@staff_page
@require_GET
def event_page(request, case_id: int):
    """The event: counts, accountability (unaccounted first, 50 a page) and the check-in
    queue. The student list answers htmx's filter requests by itself."""
    case = _event_case(request, case_id)
    context = _students_context(request, case)
    if is_htmx(request):
        return render(request, "reunify/_event_students.html", context)
    context["queue"] = list(selectors_release.checkin_queue(case))
    return render(request, "reunify/event.html", context)


@staff_page
@require_GET
def event_queue(request, case_id: int):
    """The check-in queue, polled by the event's page."""
    case = _event_case(request, case_id)
    context = {"case": case, "queue": list(selectors_release.checkin_queue(case))}
    return render(request, "reunify/_event_queue.html", context)


@staff_page
@require_POST
def event_account(request, case_id: int, case_student_id: int):
    """Account for one student. htmx gets the row back (with the error in it, as 200, since
    htmx swaps only 2xx answers); a plain form post goes back to the page."""
    case = _event_case(request, case_id)
    cs = selectors_release.event_students(request.user, case).filter(pk=case_student_id).first()
    if cs is None:
        raise Http404
    form = event_forms.AccountForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            event_services.student_account(
                actor=request.user,
                case=case,
                student=cs.student_id,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except DomainError as failure:
            error = message_for(failure)
    else:
        error = next(iter(form.errors.values()))[0]
    if is_htmx(request):
        row = selectors_release.event_students(request.user, case).get(pk=cs.pk)
        context = {
            "case": case,
            "cs": row,
            "row_error": error,
            "account_form": form,
            "under_review": students_under_agency_review([row.student_id]),
        }
        return render(request, "reunify/_event_row.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Saved."))
    return redirect("reunify:event", case.pk)
