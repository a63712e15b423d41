"""A counselor's task list (claim, start, complete, add a note: htmx with a plain-POST fallback)
and a student's card (log a phone call, send support resources)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from privacy.errors import DomainError
from privacy.selectors import students_under_agency_review
from privacy.services import access_record, access_record_many

from .. import selectors, services
from ..templatetags.reunify_tags import task_kind
from . import forms
from .common import is_htmx, staff_page
from .errors import add_to_form, message_for

# The task actions a list row offers, with the service each calls.
ACTIONS = {
    "claim": services.task_claim,
    "start": services.task_start,
}


def _tasks_context(request) -> dict:
    tasks = list(selectors.tasks_assigned_to(request.user))
    access_record_many(
        actor=request.user,
        action="reunify.tasks.listed",
        object_type="reunify.casestudent",
        object_ids=sorted({task.case_student_id for task in tasks}),
    )
    under_review = students_under_agency_review(task.case_student.student_id for task in tasks)
    return {"tasks": tasks, "under_review": under_review}


@staff_page
@require_GET
def task_list(request):
    """The signed-in staff member's own active tasks, most urgent first; refreshes itself."""
    return render(request, "reunify/tasks.html", _tasks_context(request))


@staff_page
@require_GET
def task_list_live(request):
    return render(request, "reunify/_tasks_live.html", _tasks_context(request))


def _row(request, task, *, error: str = ""):
    """htmx's answer to a task action: the row again (an empty one once the task is done)."""
    context = {
        "task": task,
        "row_error": error,
        "done": not task.active,
        "under_review": students_under_agency_review([task.case_student.student_id]),
    }
    return render(request, "reunify/_task_answer.html", context)


@staff_page
@require_POST
def task_action(request, task_id: int, action: str):
    """Claim, start, complete or add a note to a task. A conflict (someone else completed it
    first) is shown as the service words it, translated: "Already completed by NAME"."""
    task = selectors.get_task_for(request.user, task_id)
    try:
        if action == "complete":
            form = forms.CompleteForm(request.POST)
            notes = form.cleaned_data["notes"] if form.is_valid() else ""
            task = services.task_complete(actor=request.user, task=task, notes=notes)
        elif action == "note":
            form = forms.NoteForm(request.POST)
            if not form.is_valid():
                raise DomainError("notes", code="invalid", field="notes")
            task = services.task_note(
                actor=request.user, task=task, notes=form.cleaned_data["notes"]
            )
        else:
            task = ACTIONS[action](actor=request.user, task=task)
    except DomainError as error:
        task.refresh_from_db()
        if is_htmx(request):
            # htmx swaps only 2xx answers: the row, with the error in it, comes back as 200.
            return _row(request, task, error=message_for(error))
        messages.error(request, message_for(error))
        return render(request, "reunify/tasks.html", _tasks_context(request), status=error.status)
    else:
        if is_htmx(request):
            return _row(request, task)
        messages.success(request, _("Saved: %(task)s.") % {"task": task_kind(task.kind)})
    if request.POST.get("back") == "card":
        return redirect("reunify:student", task.case_student_id)
    return redirect("reunify:tasks")


def _card_page(request, card, *, call_form=None, support_form=None, status=200):
    language = get_language()
    context = {
        "card": card,
        "call_form": call_form or forms.CallForm(adults=card.call_adults),
        "support_form": support_form
        or forms.SupportForm(resources=card.resources, language=language),
    }
    return render(request, "reunify/student_card.html", context, status=status)


@staff_page
@require_GET
def student(request, case_student_id: int):
    """A student's card: who may take them, the outreach, the preparedness plan, the timeline."""
    card = selectors.student_card(request.user, case_student_id)
    access_record(actor=request.user, action="reunify.student_card.viewed", obj=card.case_student)
    return _card_page(request, card)


@staff_page
@require_POST
def student_call(request, case_student_id: int):
    """Log a phone call to a pickup adult; the outcome counts like a reply."""
    card = selectors.student_card(request.user, case_student_id)
    form = forms.CallForm(request.POST, adults=card.call_adults)
    if form.is_valid():
        try:
            services.outreach_call_log(
                actor=request.user,
                case=card.case,
                person_id=form.cleaned_data["person"],
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("The call is recorded."))
            return redirect("reunify:student", case_student_id)
    access_record(actor=request.user, action="reunify.student_card.viewed", obj=card.case_student)
    return _card_page(request, card, call_form=form, status=400)


@staff_page
@require_POST
def student_support(request, case_student_id: int):
    """Send the chosen support resources to the family, from the student's support task."""
    card = selectors.student_card(request.user, case_student_id)
    form = forms.SupportForm(request.POST, resources=card.resources, language=get_language())
    if form.is_valid():
        try:
            services.support_resources_send(
                actor=request.user,
                task=card.support_task or _no_support_task(),
                resource_ids=form.cleaned_data["resources"],
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("The resources were sent to the family."))
            return redirect("reunify:student", case_student_id)
    access_record(actor=request.user, action="reunify.student_card.viewed", obj=card.case_student)
    return _card_page(request, card, support_form=form, status=400)


def _no_support_task():
    raise DomainError("task: no open support task.", code="invalid_task", field="task")
