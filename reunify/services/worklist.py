"""A counselor's tasks: claim, start, complete, reassign, notes.

Every change is a conditional UPDATE on the task's status and `version`, so two people acting at
once cannot both win: the loser gets a Conflict that names who won ("already completed by
NAME")."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from privacy.errors import Conflict, DomainError
from privacy.roles import roles_of
from privacy.services import audit_record

from .. import access
from ..models import CaseStudent, Task
from .common import display_name, timeline_add

# What completing or starting a task says about the student.
STARTED_STATUS = {Task.Kind.CHECK_IN: CaseStudent.Status.WITH_COUNSELOR}
DONE_STATUS = {Task.Kind.CHECK_IN: CaseStudent.Status.CHECKED_IN}
STATUS_RANK = {status: rank for rank, status in enumerate(CaseStudent.Status.values)}
STAMP = {
    CaseStudent.Status.WITH_COUNSELOR: "with_counselor_at",
    CaseStudent.Status.CHECKED_IN: "checked_in_at",
}
MAX_NOTES = 2000


def _check_allowed(actor, task: Task) -> None:
    if not access.can_act_on_task(actor, task):
        holder = display_name(task.assignee)
        raise Conflict(f"This task is assigned to {holder}.", code="assigned_to_other")


def _conflict_for(task_id: int) -> Conflict:
    task = Task.objects.select_related("completed_by", "assignee").get(pk=task_id)
    if task.status == Task.Status.DONE:
        return Conflict(
            f"Already completed by {display_name(task.completed_by)}.",
            code="already_completed",
            extra={"completed_by": display_name(task.completed_by)},
        )
    if task.status == Task.Status.CANCELLED:
        return Conflict("This task was cancelled.", code="task_cancelled")
    return Conflict(
        f"The task changed meanwhile (now {task.get_status_display().lower()}, "
        f"assigned to {display_name(task.assignee)}); reload it.",
        code="task_changed",
    )


def _advance_student(task: Task, status: str, now) -> None:
    """Move the student forward (never back) to `status`, stamping when it happened."""
    earlier = [s for s, rank in STATUS_RANK.items() if rank < STATUS_RANK[status]]
    earlier = [s for s in earlier if s not in CaseStudent.SETTLED]
    CaseStudent.objects.filter(pk=task.case_student_id, status__in=earlier).update(status=status)
    stamp = STAMP.get(status)
    if stamp:
        CaseStudent.objects.filter(pk=task.case_student_id, **{f"{stamp}__isnull": True}).update(
            **{stamp: now}
        )


def _change(actor, task: Task, *, action: str, text: str, **fields) -> Task:
    """Apply `fields` if the task is still active and at the version the actor saw."""
    updated = Task.objects.filter(pk=task.pk, status__in=Task.ACTIVE, version=task.version).update(
        version=F("version") + 1, **fields
    )
    if not updated:
        raise _conflict_for(task.pk)
    timeline_add(
        case=task.case,
        case_student=task.case_student,
        action=f"task.{action}",
        actor=actor,
        text=text,
        data={"task": task.pk, "kind": task.kind},
    )
    audit_record(
        actor=actor,
        action=f"reunify.task.{action}",
        obj=task,
        before={"status": task.status, "assignee": task.assignee_id},
        after={k: getattr(v, "pk", v) for k, v in fields.items() if k != "completed_at"},
    )
    task.refresh_from_db()
    return task


def task_claim(*, actor, task: Task) -> Task:
    """Take an open task (unassigned, or the actor's own; a lead may take any). Raises
    Conflict when someone else holds it or it changed meanwhile."""
    _check_allowed(actor, task)
    with transaction.atomic():
        return _change(
            actor,
            task,
            action="claimed",
            text=f"{task.get_kind_display()}: claimed by {display_name(actor)}",
            assignee=actor,
        )


def task_start(*, actor, task: Task) -> Task:
    """Open → in progress (the actor takes it if nobody holds it). Starting a check-in means
    the counselor is with the student."""
    _check_allowed(actor, task)
    now = timezone.now()
    with transaction.atomic():
        task = _change(
            actor,
            task,
            action="started",
            text=f"{task.get_kind_display()}: started by {display_name(actor)}",
            status=Task.Status.IN_PROGRESS,
            assignee=task.assignee or actor,
        )
        if task.kind in STARTED_STATUS:
            _advance_student(task, STARTED_STATUS[task.kind], now)
    return task


def task_complete(*, actor, task: Task, notes: str = "") -> Task:
    """Mark a task done. Two people completing it at once: one wins, the other gets Conflict
    (409, code "already_completed") naming who completed it. Completing a check-in marks the
    student checked in."""
    _check_allowed(actor, task)
    if len(notes) > MAX_NOTES:
        raise DomainError(f"notes: at most {MAX_NOTES} characters.", code="too_long", field="notes")
    now = timezone.now()
    fields = {"status": Task.Status.DONE, "completed_by": actor, "completed_at": now}
    if notes:
        fields["notes"] = f"{task.notes}\n{notes}".strip() if task.notes else notes
    with transaction.atomic():
        task = _change(
            actor,
            task,
            action="completed",
            text=f"{task.get_kind_display()}: done by {display_name(actor)}",
            **fields,
        )
        if task.kind in DONE_STATUS:
            _advance_student(task, DONE_STATUS[task.kind], now)
    return task


def task_reassign(*, actor, task: Task, assignee_id: int) -> Task:
    """Give a task to another staff member (lead only). Raises DomainError (field "assignee")
    for an unknown or inactive user or one with no Reunify role."""
    if not access.can_reassign_task(actor):
        raise DomainError("Only a crisis lead may reassign tasks.", code="forbidden", status=403)
    assignee = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
    if assignee is None or not roles_of(assignee):
        raise DomainError(
            "assignee: not an active staff member.", code="unknown_user", field="assignee"
        )
    with transaction.atomic():
        return _change(
            actor,
            task,
            action="reassigned",
            text=f"{task.get_kind_display()}: reassigned to {display_name(assignee)}",
            assignee=assignee,
        )


def task_note(*, actor, task: Task, notes: str) -> Task:
    """Add a note to an active task."""
    _check_allowed(actor, task)
    notes = (notes or "").strip()
    if not notes or len(notes) > MAX_NOTES:
        raise DomainError(
            f"notes: from 1 to {MAX_NOTES} characters.", code="invalid", field="notes"
        )
    with transaction.atomic():
        return _change(
            actor,
            task,
            action="noted",
            text=f"{task.get_kind_display()}: note added",
            notes=f"{task.notes}\n{notes}".strip(),
        )
