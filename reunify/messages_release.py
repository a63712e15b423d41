"""The messages of the release and the school event, registered with alerts in
ReunifyConfig.ready() (see `register`). Like every case message they never say why a guardian is
unavailable, start with DRILL in a drill, and in a drill go to the staff member who opened the
case, never to a family (reunify.messages.outgoing).

Staff messages (the counselor told of a release, the lead alerted of a refused release to a
do-not-release adult) go to the staff user's email on the emergency lane."""

from django.utils.translation import gettext_lazy as _

from alerts.models import Channel, Fallback
from alerts.services import OutgoingMessage

from .messages import CAUSE_TYPE, drill_prefix
from .models import Case

RELEASE_CODE_FLOW = "reunify.release_code"

TEMPLATES = {
    "reunify.release_code": (
        _("{drill}May {adult} pick up your child?"),
        _(
            "{drill}{district}: staff at {school} ask if {adult} may pick up {students} today. "
            "If yes, reply YES {code}. The code expires in {minutes} minutes. Case {case}."
        ),
    ),
    "reunify.released": (
        _("{drill}Your child was picked up"),
        _(
            "{drill}{district}: {student} was picked up at {school} by {adult} at {time}. Case {case}."
        ),
    ),
    "reunify.affidavit_renew": (
        _("{drill}Please renew your caregiver's affidavit"),
        _(
            "{drill}{district}: the caregiver's authorization affidavit for {adult} has expired. "
            "Please sign a new one and give it to the school office. Case {case}."
        ),
    ),
    "reunify.event_notice": (
        _("{drill}Pick up your child at the reunification site"),
        _(
            # Translators: a language sent as UCS-2 (Arabic, Vietnamese) may leave out {school}
            # to stay within 3 SMS segments ({site} says where to come).
            # xgettext:no-python-brace-format
            "{drill}{district}: {school}: pick up {students} at {site} {when}. "
            "Bring an ID if you have one. Coming? Tell us: {link} Case {case}."
        ),
    ),
    "reunify.staff_released": (
        _("{drill}A student of your case was picked up"),
        _(
            "{drill}{district}: {student} ({school}) was picked up by {adult} at {time}. Case {case}."
        ),
    ),
    "reunify.prohibited_attempt": (
        _("{drill}A release to a do-not-release adult was attempted"),
        _(
            "{drill}{district}: a release to a do-not-release adult was attempted for {student} "
            "at {school}. Case {case}."
        ),
    ),
}


def register() -> None:
    from alerts import registry
    from alerts.templates import register_templates

    from .services.release import release_code_reply

    register_templates(TEMPLATES)
    registry.register_reply_handler(RELEASE_CODE_FLOW, release_code_reply, priority=100)


def staff_email(
    *, case: Case, user, template_key: str, context: dict, idempotency_key: str
) -> OutgoingMessage | None:
    """A message to a staff user's email on the emergency lane (None without an email)."""
    email = (getattr(user, "email", "") or "").strip()
    if not email:
        return None
    return OutgoingMessage(
        channel=Channel.EMAIL,
        address=email,
        purpose=template_key,
        template_key=template_key,
        language="en",
        context={**context, "drill": drill_prefix(case, "en"), "case": case.number},
        idempotency_key=idempotency_key,
        emergency=True,
        fallback=Fallback.NONE,
        cause_type=CAUSE_TYPE,
        cause_id=case.pk,
    )
