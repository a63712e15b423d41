"""Who may change what in a case: the one small set of `can_<action>` checks that the API,
the pages and the tasks call. Who may *see* a case is decided by reunify.selectors."""

from privacy.roles import Role, has_role

from .models import Task

LEAD_ROLES = (Role.CRISIS_LEAD, Role.ADMIN)


def is_lead(actor) -> bool:
    return has_role(actor, *LEAD_ROLES)


def can_open_case(actor) -> bool:
    return is_lead(actor)


def can_close_case(actor) -> bool:
    return is_lead(actor)


def can_view_report(actor) -> bool:
    """The after-action report covers the whole case (every student, every adult contacted): the
    lead's, not the staff who see some of its students."""
    return is_lead(actor)


def can_override(actor) -> bool:
    """Overrides (assigning a counselor by hand, a placement, releasing to a pending adult)."""
    return is_lead(actor)


def can_act_on_task(actor, task: Task) -> bool:
    """Claim, start, complete, add notes: the assignee, anyone who sees an unassigned task, or a
    lead. The caller has already loaded the task through get_task_for (visibility)."""
    if is_lead(actor):
        return True
    return task.assignee_id is None or task.assignee_id == getattr(actor, "pk", None)


def can_reassign_task(actor) -> bool:
    return is_lead(actor)


def can_log_call(actor) -> bool:
    """Any staff member who sees the case may log a phone call to a pickup adult."""
    return has_role(actor, Role.COUNSELOR, Role.SCHOOL_STAFF, *LEAD_ROLES)


def can_record_release(actor) -> bool:
    """Check an adult in, ask a guardian for a code, record a release: staff who see the
    student (the caller loads the case student through the selectors). Overrides stay the
    lead's (can_override)."""
    return has_role(actor, Role.COUNSELOR, Role.SCHOOL_STAFF, *LEAD_ROLES)
