"""The front office's release screen.

The desk looks a student up (name or SIS id) or the arriving adult (name or phone) and sees, for
each student, who may take them, who needs an override and a red "do not release to" line. A
student's page records the release in four steps (the adult, the identity check, the student's
answer, the signature) through the one release service, student_release, which the API uses
too; it also asks a legal guardian for a one-time code, lets a crisis lead approve ahead, and
turns a do-not-release adult away (recorded, the lead alerted). Staff who may not record
releases, and students the staff member may not see, get a 404."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from privacy.errors import DomainError
from privacy.selectors import students_under_agency_review
from privacy.services import access_record, access_record_many

from .. import access, selectors, selectors_release
from ..models import Case
from ..services import release as release_services
from . import release_forms
from .common import is_htmx, staff_page
from .errors import add_to_form, message_for
from .forms import new_idempotency_key

# With this many students or fewer the desk lists them all before any search.
LIST_ALL_UP_TO = 30


def _desk_case(request, case_id: int) -> Case:
    case = selectors.get_case_ref_for(request.user, case_id)
    if not access.can_record_release(request.user):
        raise Http404
    return case


def _log_students(request, action: str, case_student_ids) -> None:
    access_record_many(
        actor=request.user,
        action=action,
        object_type="reunify.casestudent",
        object_ids=sorted(set(case_student_ids)),
    )


@staff_page
@require_GET
def release_desk(request, case_id: int):
    """Look a student or the arriving adult up. htmx swaps only the results as one types."""
    case = _desk_case(request, case_id)
    form = release_forms.DeskSearchForm(request.GET or None)
    options, matches, searched = [], [], False
    if form.is_valid() and form.cleaned_data["q"].strip():
        searched = True
        query = form.cleaned_data["q"]
        try:
            if form.cleaned_data["by"] == "adult":
                matches = selectors_release.release_adults_search(request.user, case, query)
            else:
                found = selectors_release.release_students_search(request.user, case, query)
                options = selectors_release.release_options(found)
        except DomainError as error:
            add_to_form(form, error)
    elif not form.errors:
        students = list(
            selectors_release.case_students_for_release(request.user, case).order_by(
                "family", "student__last_name", "student__first_name", "pk"
            )[: LIST_ALL_UP_TO + 1]
        )
        if len(students) <= LIST_ALL_UP_TO:
            options = selectors_release.release_options(students)
    shown = [o.case_student.pk for o in options]
    shown += [row.case_student.pk for match in matches for row in match.students]
    _log_students(request, "reunify.release_desk.viewed", shown)
    shown_students = [o.case_student.student_id for o in options]
    shown_students += [row.case_student.student_id for m in matches for row in m.students]
    context = {
        "case": case,
        "form": form,
        "options": options,
        "matches": matches,
        "searched": searched,
        "by": form.cleaned_data.get("by", "student") if form.is_valid() else "student",
        "under_review": students_under_agency_review(shown_students),
    }
    if is_htmx(request):
        # htmx swaps only 2xx answers: the results, with the error in them, come back as 200.
        return render(request, "reunify/_release_results.html", context)
    return render(request, "reunify/release_desk.html", context, status=400 if form.errors else 200)


def _student_page(
    request, case, desk, *, release_form=None, code_form=None, approval_form=None, status=200
):
    options = desk.options
    self_release = case.kind == Case.Kind.SCHOOL_EVENT
    lead = access.can_override(request.user)
    initial = {"idempotency_key": new_idempotency_key()}
    person = request.GET.get("person", "")
    if person.isdigit():
        initial["person"] = person
    if release_form is None:
        release_form = release_forms.ReleaseForm(
            options=options, self_release=self_release, lead=lead, initial=initial
        )
    if code_form is None:
        code_form = release_forms.CodeRequestForm(
            options=options, guardians=desk.guardians, initial=initial
        )
    if approval_form is None and lead:
        approval_form = release_forms.ApprovalForm(
            options=options, self_release=self_release, initial=initial
        )
    access_record(
        actor=request.user, action="reunify.release_desk.viewed", obj=options.case_student
    )
    context = {
        "case": case,
        "desk": desk,
        "cs": options.case_student,
        "options": options,
        "release_form": release_form,
        "code_form": code_form,
        "approval_form": approval_form,
        "lead": lead,
    }
    return render(request, "reunify/release_student.html", context, status=status)


@staff_page
@require_GET
def release_student(request, case_id: int, case_student_id: int):
    """One student: who may take them, and the release form (or the release, once done)."""
    case = _desk_case(request, case_id)
    desk = selectors_release.desk_student_for(request.user, case, case_student_id)
    return _student_page(request, case, desk)


@staff_page
@require_POST
def release_record(request, case_id: int, case_student_id: int):
    """Record the release. A refusal (do not release, not authorized, held, already released)
    is shown next to the step it concerns, in the staff member's language; nothing is written
    but the refusal's own record."""
    case = _desk_case(request, case_id)
    desk = selectors_release.desk_student_for(request.user, case, case_student_id)
    cs = desk.options.case_student
    form = release_forms.ReleaseForm(
        request.POST,
        options=desk.options,
        self_release=case.kind == Case.Kind.SCHOOL_EVENT,
        lead=access.can_override(request.user),
    )
    if not form.is_valid():
        return _student_page(request, case, desk, release_form=form, status=400)
    try:
        result = release_services.student_release(
            actor=request.user, case=case, student=cs.student_id, **form.service_arguments()
        )
    except DomainError as error:
        add_to_form(form, error)
        desk = selectors_release.desk_student_for(request.user, case, case_student_id)
        return _student_page(request, case, desk, release_form=form, status=error.status)
    if result.created:
        messages.success(
            request,
            _("%(student)s was released. The chain of custody is on the timeline.")
            % {"student": cs.student.display_name},
        )
    return redirect("reunify:release_student", case.pk, cs.pk)


@staff_page
@require_POST
def release_code_ask(request, case_id: int, case_student_id: int):
    """Send a legal guardian, on a phone already on file, a one-time code for the adult."""
    case = _desk_case(request, case_id)
    desk = selectors_release.desk_student_for(request.user, case, case_student_id)
    form = release_forms.CodeRequestForm(
        request.POST, options=desk.options, guardians=desk.guardians
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            release_services.release_code_request(
                actor=request.user,
                case=case,
                student=desk.options.case_student.student_id,
                guardian=data["guardian"],
                person=data["person_id"],
                adult_name=data["adult_name"].strip(),
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(
                request,
                _(
                    "The code was sent to the guardian's phone on file. When the guardian "
                    "replies YES, or tells you the code, record the release."
                ),
            )
            return redirect("reunify:release_student", case.pk, case_student_id)
    desk = selectors_release.desk_student_for(request.user, case, case_student_id)
    return _student_page(request, case, desk, code_form=form, status=400)


@staff_page
@require_POST
def release_approval(request, case_id: int, case_student_id: int):
    """A crisis lead approves ahead an override, a release without photo ID, a release after
    the student's "no", or a student leaving alone; the desk's release then finds it."""
    case = _desk_case(request, case_id)
    if not access.can_override(request.user):
        raise Http404
    desk = selectors_release.desk_student_for(request.user, case, case_student_id)
    form = release_forms.ApprovalForm(
        request.POST,
        options=desk.options,
        self_release=case.kind == Case.Kind.SCHOOL_EVENT,
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            release_services.release_approve(
                actor=request.user,
                case=case,
                student=desk.options.case_student.student_id,
                kind=data["kind"],
                reason=data["reason"],
                person=data["person_id"],
                adult_name=data["adult_name"].strip(),
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("The approval is recorded."))
            return redirect("reunify:release_student", case.pk, case_student_id)
    desk = selectors_release.desk_student_for(request.user, case, case_student_id)
    return _student_page(request, case, desk, approval_form=form, status=400)


@staff_page
@require_POST
def release_refuse(request, case_id: int, case_student_id: int):
    """Turn a do-not-release adult away: recorded, and the crisis lead alerted at once."""
    case = _desk_case(request, case_id)
    desk = selectors_release.desk_student_for(request.user, case, case_student_id)
    form = release_forms.RefuseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the adult from the list."))
        return redirect("reunify:release_student", case.pk, case_student_id)
    try:
        release_services.release_refuse_prohibited(
            actor=request.user,
            case=case,
            student=desk.options.case_student.student_id,
            person=form.cleaned_data["person"],
        )
    except DomainError as error:
        messages.error(request, message_for(error))
    else:
        messages.warning(
            request,
            _("Do not release. The refusal is recorded and the crisis lead has been alerted."),
        )
    return redirect("reunify:release_student", case.pk, case_student_id)
