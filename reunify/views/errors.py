"""Domain errors and notices shown to staff, in the staff member's language.

Services raise DomainError with an English message for logs and the API; the pages show the
translated message for the error's code instead, next to the field it names, falling back to a
generic one that still names the field."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from privacy.errors import DomainError

from ..services import Notice

MESSAGES = {
    "required": _("This field is required."),
    "invalid": _("This value is not valid."),
    "too_long": _("This is too long."),
    "too_many": _("Name at most 20 adults in one case."),
    "unknown_person": _("One of the adults chosen no longer exists. Search again."),
    "not_a_guardian": _("One of the adults chosen is no active student's legal guardian."),
    "student_not_visible": _("A student of theirs is in no school you may see."),
    "students_in_open_case": _("Every student of theirs is already in an open case."),
    "idempotency_key_reused": _("This form was already used by someone else. Start again."),
    "invalid_wait": _("The wait must be from 1 to 720 minutes."),
    "forbidden": _("You may not do this."),
    "already_closed": _("This case was already closed."),
    "case_closed": _("The case is closed."),
    "reason_required": _("Students are still in the school's care: give a reason to close."),
    "already_completed": _("Already completed by %(name)s."),
    "task_cancelled": _("This task was cancelled."),
    "task_changed": _("The task changed meanwhile. Reload the list."),
    "assigned_to_other": _("This task is assigned to someone else."),
    "invalid_outcome": _("Choose one of the outcomes."),
    "not_pickup_adult": _("This adult is not a pickup adult of this case."),
    "outreach_answered": _("An answer was already recorded for this adult."),
    "invalid_task": _("This is not a support task."),
    "unknown": _("Choose from the list."),
    "unreachable": _("Nobody in the family can be reached by SMS or email."),
    "release_prohibited": _(
        "Do not release to this adult: they may never take this student. The crisis lead has "
        "been alerted."
    ),
    "release_needs_approval": _(
        "This adult needs a crisis lead's override or a legal guardian's code."
    ),
    "release_not_authorized": _(
        "This adult is on no list: a legal guardian's code or a crisis lead's override is needed."
    ),
    "release_held": _(
        "The student said no: the counselor and the crisis lead talk with the student, and the "
        "lead confirms with a note."
    ),
    "already_released": _("This student was already released: see who took them above."),
    "student_settled": _("This student is no longer in the school's care."),
    "student_not_in_case": _("This student is not in the case."),
    "code_wrong": _("The code is wrong. Check it with the guardian."),
    "code_locked": _("Too many wrong tries: ask the guardian for a new code."),
    "code_expired": _("The code has expired: ask the guardian for a new one."),
    "code_used": _("This code was already used."),
    "invalid_signature": _("The signature could not be read: clear it and sign again."),
    "signature_too_large": _("The signature is too large: clear it and sign again."),
    "no_phone_on_file": _("This guardian has no phone on file that takes text messages."),
    "not_prohibited": _("This adult is not on the do-not-release list."),
    "invalid_choice": _("Choose from the list."),
}
# Where one code needs different words for different fields.
FIELD_MESSAGES = {
    ("required", "guardians"): _("Choose at least one unavailable adult."),
    ("required", "resources"): _("Choose at least one resource."),
    ("invalid", "notes"): _("Write a note (at most 2,000 characters)."),
    ("too_long", "notes"): _("The note is too long (at most 2,000 characters)."),
    ("too_long", "note"): _("The note is too long."),
    ("required", "person"): _("Choose who takes the student."),
    ("required", "note"): _("Write where the student was taken."),
    ("unknown_school", "school"): _("Choose a school from the list."),
    ("required", "signature"): _("The adult signs on the screen, or types their initials."),
    ("invalid", "signature_initials"): _("Initials: letters only (for example R.D.)."),
    ("invalid", "guardian_code"): _("The code has six digits."),
    ("invalid_choice", "identity"): _("Choose how identity was confirmed."),
    ("invalid_choice", "identity_established"): _(
        "Without a photo ID, choose how identity was established."
    ),
    ("invalid", "identity_established"): _("Only without a photo ID."),
    ("release_needs_approval", "identity"): _(
        "No photo ID: a crisis lead must approve, with how identity was established."
    ),
    ("release_needs_approval", "identity_established"): _(
        "No code of a legal guardian confirmed this adult."
    ),
    ("release_needs_approval", "approval_note"): _(
        "A student leaving on their own needs an official's recorded approval."
    ),
    ("release_not_authorized", "self_release"): _(
        "This student may not leave on their own (too young, or the district does not allow it)."
    ),
    ("required", "override_reason"): _("Write the reason for the override."),
    ("required", "reason"): _("Write the reason."),
    ("not_a_guardian", "guardian"): _("Not a legal guardian of this student."),
    ("invalid", "person"): _("A guardian cannot authorize themselves."),
}
FALLBACK = _("This could not be saved. Check the value and try again.")

NOTICES = {
    "guardian_in_open_case": _(
        "%(name)s is already in open case %(case)s: nothing is added for them."
    ),
    "student_in_open_case": _("%(name)s is already in open case %(case)s."),
    "no_counselor_free": _("No counselor is free for some students: they are in your queue."),
}


def message_for(error: DomainError) -> str:
    found = FIELD_MESSAGES.get((error.code, error.field)) or MESSAGES.get(error.code, FALLBACK)
    text = str(found)
    if "%(name)s" in text:
        text = text % {"name": error.extra.get("completed_by") or gettext("someone else")}
    return text


def add_to_form(form: forms.Form, error: DomainError) -> None:
    """Put the translated error next to its field (or at the top of the form)."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, message_for(error))


def notice_text(notice: Notice, names: dict[int, str]) -> str:
    """A notice of case_preview or case_open in the reader's language; `names` maps guardian and
    student ids to display names."""
    found = NOTICES.get(notice.code)
    if found is None:
        return notice.message
    who = names.get(notice.guardian or notice.student or 0, "")
    return str(found) % {"name": who, "case": notice.case or ""}
