"""Template helpers of the crisis pages: statuses and kinds in the reader's language (the
models' choice labels are English, for the API and the admin) and absolute, labelled local
times (people misread relative ones)."""

from zoneinfo import ZoneInfo

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from contacts.portal.templatetags.portal_tags import relationship_name

from ..models import CaseStudent, Outreach, Task

register = template.Library()

STUDENT_STATUS = {
    CaseStudent.Status.IDENTIFIED: _("Identified"),
    CaseStudent.Status.WITH_COUNSELOR: _("With counselor"),
    CaseStudent.Status.CHECKED_IN: _("Checked in"),
    CaseStudent.Status.ADULT_CONTACTED: _("Adult contacted"),
    CaseStudent.Status.ADULT_COMING: _("Adult coming"),
    CaseStudent.Status.RELEASED: _("Released"),
    CaseStudent.Status.PLACED: _("Placed"),
    CaseStudent.Status.ABSENT: _("Absent"),
}
TASK_KIND = {
    Task.Kind.CHECK_IN: _("Check in with the student"),
    Task.Kind.REACH_ADULT: _("Reach a pickup adult"),
    Task.Kind.RELEASE: _("Verify ID and release"),
    Task.Kind.FOLLOW_UP: _("Follow up next school day"),
    Task.Kind.SUPPORT: _("Offer support resources"),
    Task.Kind.NOBODY_REACHABLE: _("Nobody reachable"),
    Task.Kind.ASSIGN_COUNSELOR: _("No counselor free"),
}
TASK_STATUS = {
    Task.Status.OPEN: _("Open"),
    Task.Status.IN_PROGRESS: _("In progress"),
    Task.Status.DONE: _("Done"),
    Task.Status.CANCELLED: _("Cancelled"),
}
OUTREACH_STATUS = {
    Outreach.Status.QUEUED: _("Not asked yet"),
    Outreach.Status.ASKED: _("Asked, waiting for an answer"),
    Outreach.Status.COMING: _("Coming"),
    Outreach.Status.DECLINED: _("Cannot come"),
    Outreach.Status.NO_ANSWER: _("No answer"),
    Outreach.Status.UNREACHABLE: _("Unreachable"),
}
ACCOUNTED_NAMES = {
    "present": _("Present at the site"),
    "absent": _("Absent that day"),
    "with_nurse": _("With a nurse"),
    "transported": _("Transported elsewhere"),
}
MESSAGE_STATUS = {
    "queued": _("queued"),
    "sending": _("sending"),
    "sent": _("sent"),
    "delivered": _("delivered"),
    "failed": _("failed"),
}


@register.filter
def student_status(value: str) -> str:
    return str(STUDENT_STATUS.get(value, value))


@register.filter
def task_kind(value: str) -> str:
    return str(TASK_KIND.get(value, value))


@register.filter
def task_status(value: str) -> str:
    return str(TASK_STATUS.get(value, value))


@register.filter
def outreach_status(value: str) -> str:
    return str(OUTREACH_STATUS.get(value, value))


@register.filter
def message_status(value: str) -> str:
    return str(MESSAGE_STATUS.get(value, value))


def _zone(name: str | None):
    try:
        return ZoneInfo(name) if name else timezone.get_current_timezone()
    except (KeyError, ValueError):
        return timezone.get_current_timezone()


@register.simple_tag
def local_time(value, zone_name: str | None = None):
    """`value` as an absolute time in the school's zone, with the zone's abbreviation and the
    date when it is not today there: <time datetime="...">14:35 CDT</time>."""
    if value is None:
        return ""
    zone = _zone(zone_name)
    local = value.astimezone(zone)
    shown = formats.time_format(local, "TIME_FORMAT")
    if local.date() != timezone.now().astimezone(zone).date():
        shown = f"{formats.date_format(local, 'SHORT_DATE_FORMAT')} {shown}"
    return format_html(
        '<time datetime="{}">{} <span dir="ltr">{}</span></time>',
        local.isoformat(),
        shown,
        local.tzname(),
    )


@register.filter
def is_overdue(task) -> bool:
    return bool(task.active and task.due_at and task.due_at < timezone.now())


@register.filter
def adult_label(option) -> str:
    """An adult of the release screen, "Rosa Diaz · Aunt or uncle", in the reader's language."""
    if option.relationship_code == "standby_caregiver":
        relationship = _("Standby caregiver")
    else:
        relationship = relationship_name(option.relationship_code)
    return f"{option.name} · {relationship}"


@register.filter
def accounted_status(value: str) -> str:
    return str(ACCOUNTED_NAMES.get(value, _("Not accounted for yet")))
