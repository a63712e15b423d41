"""A guardian's own phones and emails, message preferences and family preparedness plan."""

import datetime

from django.db import transaction
from django.utils import timezone

from contacts import services as contact_services
from contacts.models import ContactPoint, Person
from privacy.errors import DomainError
from privacy.services import audit_record

from .. import conf
from ..lib import keyed_hash, new_code
from ..models import MessagePreference, OneTimeCode, PreparednessPlan
from ..ratelimit import rate_hit
from ..selectors import children_of
from .household import _renamed, portal_contact_add
from .signin import check_code, parse_identifier, portal_actor, send_code

PORTAL_LANGUAGES = ("en", "es", "ar", "vi")


@transaction.atomic
def own_contact_point_send_code(*, guardian: Person, point: ContactPoint) -> None:
    """Send a confirmation code to one of the guardian's own contact points. At most 5 an hour
    per contact point (DomainError "rate_limited", field "code")."""
    rate_hit(scope="verify", value=str(point.pk), limit=5, window_seconds=3600, field="code")
    code = new_code()
    row = OneTimeCode.objects.create(
        purpose=OneTimeCode.Purpose.VERIFY,
        person=guardian,
        contact_point=point,
        code_hash="",
        expires_at=timezone.now() + conf.code_ttl(),
    )
    row.code_hash = keyed_hash("code", f"verify:{row.pk}", code)
    row.save(update_fields=["code_hash"])
    send_code(point=point, code_row=row, code=code, template_key="portal.verify_contact")


@transaction.atomic
def own_contact_point_add(*, guardian: Person, value: str, label: str) -> ContactPoint:
    """Add a phone or email (told apart by the @) to the guardian. It stays unverified until the
    code sent to it is entered. Raises DomainError on field "value": invalid, duplicate."""
    kind, normalized = parse_identifier(value, field="value")
    try:
        point = contact_services.contact_point_add(
            actor=portal_actor(guardian), person=guardian, kind=kind, value=normalized, label=label
        )
    except DomainError as error:
        raise _renamed(error, "value") from error
    own_contact_point_send_code(guardian=guardian, point=point)
    return point


def own_contact_point_verify(*, guardian: Person, point: ContactPoint, code: str) -> ContactPoint:
    """Mark the contact point verified when `code` is the latest one sent to it. Wrong tries are
    counted (5 at most) even though the error rolls nothing else back. Raises DomainError on
    field "code": wrong_code, expired, too_many_attempts."""
    row = (
        OneTimeCode.objects.filter(
            purpose=OneTimeCode.Purpose.VERIFY, contact_point=point, person=guardian
        )
        .order_by("-created_at", "-id")
        .first()
    )
    check_code(row=row, salt=f"verify:{row.pk}" if row else "", code=code)
    return contact_services.contact_point_update(
        actor=portal_actor(guardian), contact_point=point, status=ContactPoint.Status.VERIFIED
    )


@transaction.atomic
def own_contact_point_remove(*, guardian: Person, point: ContactPoint) -> None:
    """Remove one of the guardian's phones or emails; the last reachable one stays (DomainError
    "last_contact_point"), or the school could not reach them and they could not sign in."""
    others = ContactPoint.objects.reachable().filter(person=guardian).exclude(pk=point.pk)
    if not others.exists():
        raise DomainError(
            "value: keep at least one phone or email.", code="last_contact_point", field="value"
        )
    contact_services.contact_point_remove(actor=portal_actor(guardian), contact_point=point)


@transaction.atomic
def preferences_update(
    *, guardian: Person, preferred_language: str, sms: bool, email: bool, voice: bool
) -> MessagePreference:
    """Set the guardian's language and the channels for non-emergency messages (emergency
    messages use every channel). Raises DomainError: preferred_language, channels (none)."""
    if preferred_language not in PORTAL_LANGUAGES:
        raise DomainError(
            "preferred_language: choose one of the listed languages.",
            code="invalid_choice",
            field="preferred_language",
        )
    if not (sms or email or voice):
        raise DomainError(
            "channels: choose at least one way to reach you.", code="required", field="channels"
        )
    actor = portal_actor(guardian)
    contact_services.person_update(
        actor=actor, person=guardian, preferred_language=preferred_language
    )
    preference, _ = MessagePreference.objects.select_for_update().get_or_create(person=guardian)
    before = {"sms": preference.sms, "email": preference.email, "voice": preference.voice}
    preference.sms, preference.email, preference.voice = bool(sms), bool(email), bool(voice)
    preference.save()
    audit_record(
        actor=actor,
        action="portal.preferences.updated",
        obj=preference,
        before=before,
        after={"sms": preference.sms, "email": preference.email, "voice": preference.voice},
    )
    return preference


@transaction.atomic
def plan_update(
    *,
    guardian: Person,
    affidavit_on_file: bool,
    affidavit_signed_on: datetime.date | None,
    caregiver: dict | None = None,
) -> PreparednessPlan:
    """Record the family preparedness plan. A standby caregiver named here is added to every
    child as a pickup adult pending review (the other guardians are told), and becomes one once
    staff approve. Raises DomainError: affidavit_signed_on (missing or in the future), and the
    fields of portal_contact_add for the caregiver."""
    if affidavit_on_file and affidavit_signed_on is None:
        raise DomainError(
            "affidavit_signed_on: enter the date it was signed.",
            code="required",
            field="affidavit_signed_on",
        )
    if affidavit_signed_on and affidavit_signed_on > timezone.localdate():
        raise DomainError(
            "affidavit_signed_on: the date cannot be in the future.",
            code="future_date",
            field="affidavit_signed_on",
        )
    plan, _ = PreparednessPlan.objects.select_for_update().get_or_create(guardian=guardian)
    before = {
        "standby_caregiver": plan.standby_caregiver_id,
        "affidavit_on_file": plan.affidavit_on_file,
        "affidavit_signed_on": str(plan.affidavit_signed_on or ""),
    }
    if caregiver and plan.standby_caregiver_id is None:
        plan.standby_caregiver = portal_contact_add(
            guardian=guardian,
            students=list(children_of(guardian)),
            emergency=True,
            pickup=True,
            **caregiver,
        )
    plan.affidavit_on_file = bool(affidavit_on_file)
    plan.affidavit_signed_on = affidavit_signed_on if affidavit_on_file else None
    plan.save()
    audit_record(
        actor=portal_actor(guardian),
        action="portal.plan.updated",
        obj=plan,
        before=before,
        after={
            "standby_caregiver": plan.standby_caregiver_id,
            "affidavit_on_file": plan.affidavit_on_file,
            "affidavit_signed_on": str(plan.affidavit_signed_on or ""),
        },
    )
    return plan


def affidavit_is_stale(plan: PreparednessPlan, today: datetime.date | None = None) -> bool:
    """True when the affidavit on file was signed longer ago than PORTAL_AFFIDAVIT_MAX_AGE_DAYS."""
    if not plan.affidavit_on_file or plan.affidavit_signed_on is None:
        return False
    return (today or timezone.localdate()) - plan.affidavit_signed_on > conf.affidavit_max_age()
