"""Passwordless sign-in: one-time codes, personal links and portal sessions.

Nothing here tells a caller whether a phone or email is on file: an unknown address gets a code
row with no person (no message is sent), so the answer, the redirect and the attempt counting are
the same. Codes, choice tokens, link tokens and session keys are stored only as keyed hashes.

Guardians may share a phone or email (a family phone). The code goes to that address once; after
the right code, the one who typed it chooses which of those guardians they are (SignInChoice).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from alerts.services import message_queue
from contacts.lib.phones import normalize_email, normalize_phone
from contacts.models import ContactPoint, Person, StudentContact
from privacy.errors import DomainError
from privacy.services import audit_record

from .. import conf
from ..lib import keyed_hash, new_code, new_token, same
from ..models import OneTimeCode, PortalLink, PortalSession, SignInChoice
from ..ratelimit import rate_hit

REACHABLE = (ContactPoint.Status.UNVERIFIED, ContactPoint.Status.VERIFIED)


# The audit log's actor for a guardian's own changes in the portal: this and the person's id.
PORTAL_ACTOR_PREFIX = "portal:person:"


def portal_actor(person: Person | int) -> str:
    return f"{PORTAL_ACTOR_PREFIX}{getattr(person, 'pk', person)}"


def parse_identifier(raw: str, *, field: str = "identifier") -> tuple[str, str]:
    """(kind, normalised value) of what a guardian typed: an email if it has an @, else a phone."""
    value = (raw or "").strip()
    if "@" in value:
        return ContactPoint.Kind.EMAIL, normalize_email(value, field=field)
    return ContactPoint.Kind.PHONE, normalize_phone(value, field=field)


def guardian_contact_points(kind: str, value: str):
    """Reachable contact points with this value whose person is a legal guardian of an active
    student (and not barred from that student)."""
    guardian_link = _guardian_links().filter(person=OuterRef("person"))
    return (
        ContactPoint.objects.filter(kind=kind, value=value, status__in=REACHABLE)
        .filter(Exists(guardian_link))
        .select_related("person")
        .order_by("person_id", "id")
    )


def channel_for(point: ContactPoint) -> str:
    if point.kind == ContactPoint.Kind.EMAIL:
        return "email"
    return "sms" if point.sms_capable else "voice"


def send_code(*, point: ContactPoint, code_row: OneTimeCode, code: str, template_key: str) -> None:
    message_queue(
        channel=channel_for(point),
        address=point.value,
        purpose=f"portal.{code_row.purpose}",
        template_key=template_key,
        language=point.person.preferred_language,
        context={"code": code},
        idempotency_key=f"portal.code:{code_row.pk}",
        recipient_person_id=point.person_id,
        contact_point_id=point.pk,
        # A guardian is waiting for this code: the emergency lane, never behind a campaign.
        emergency=True,
    )


def signin_code_request(*, identifier: str, ip: str) -> str:
    """Start a sign-in: send a 6-digit code to `identifier` if a guardian has it on file.

    Returns a random challenge for the caller to keep in the browser session (never in a URL);
    the code is only valid together with it. The return value and every side effect visible to
    the caller are the same whether or not the address is known. Raises DomainError on a badly
    formed phone/email (field "identifier"), or "rate_limited" (429) per address and per IP.
    """
    kind, value = parse_identifier(identifier)
    count, window = conf.rate_per_ip()
    rate_hit(scope="code:ip", value=ip, limit=count, window_seconds=window, field="identifier")
    count, window = conf.rate_per_identifier()
    rate_hit(scope="code:id", value=value, limit=count, window_seconds=window, field="identifier")

    challenge = new_token()
    code = new_code()
    point = guardian_contact_points(kind, value).first()
    with transaction.atomic():
        row = OneTimeCode.objects.create(
            purpose=OneTimeCode.Purpose.SIGN_IN,
            challenge_hash=keyed_hash("challenge", challenge),
            identifier_hash=keyed_hash("identifier", value),
            person=point.person if point else None,
            contact_point=point,
            code_hash=keyed_hash("code", challenge, code),
            expires_at=timezone.now() + conf.code_ttl(),
        )
        if point is not None:
            send_code(point=point, code_row=row, code=code, template_key="portal.code")
    return challenge


def _spend_attempt(row: OneTimeCode, field: str) -> None:
    """Count one try with a conditional update, committed even when the code turns out wrong."""
    now = timezone.now()
    counted = OneTimeCode.objects.filter(
        pk=row.pk, used_at__isnull=True, expires_at__gt=now, attempts__lt=conf.code_max_attempts()
    ).update(attempts=F("attempts") + 1)
    if counted:
        return
    row.refresh_from_db()
    if row.used_at is None and row.expires_at > now:
        raise DomainError(
            f"{field}: too many wrong codes; ask for a new one.",
            code="too_many_attempts",
            field=field,
        )
    raise DomainError(
        f"{field}: this code has expired; ask for a new one.", code="expired", field=field
    )


def check_code(*, row: OneTimeCode | None, salt: str, code: str, field: str = "code") -> None:
    """Spend one of the row's tries on `code`; raise DomainError unless it matches. Marks the row
    used with a conditional update, so a code signs in at most once even under a race."""
    if row is None:
        raise DomainError(
            f"{field}: this code has expired; ask for a new one.", code="expired", field=field
        )
    _spend_attempt(row, field)
    code = "".join((code or "").split())
    if not (
        row.person_id is not None
        and len(code) == 6
        and code.isdigit()
        and same(row.code_hash, keyed_hash("code", salt, code))
    ):
        raise DomainError(f"{field}: that code is not right.", code="wrong_code", field=field)
    spent = OneTimeCode.objects.filter(pk=row.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not spent:
        raise DomainError(
            f"{field}: this code has expired; ask for a new one.", code="expired", field=field
        )


@dataclass(frozen=True)
class CodeAccepted:
    """What a right sign-in code leads to: a session, or (on an address that several guardians
    share) a choice to make first with signin_choice_make. The raw session key is for the
    browser's HttpOnly portal cookie, the choice token for its server-side Django session; neither
    ever goes into a URL."""

    session: PortalSession | None = None
    session_key: str = ""
    choice_token: str = ""


def signin_code_verify(*, challenge: str, code: str) -> CodeAccepted:
    """Finish a sign-in with the code. When one guardian has the address the code went to, opens
    their session. When several do, opens nobody's: it returns a short-lived choice among the
    guardians who have the address now. Raises DomainError (field "code"): wrong_code, expired,
    too_many_attempts."""
    row = (
        OneTimeCode.objects.filter(
            purpose=OneTimeCode.Purpose.SIGN_IN,
            challenge_hash=keyed_hash("challenge", challenge or ""),
        )
        .select_related("person", "contact_point")
        .first()
        if challenge
        else None
    )
    check_code(row=row, salt=challenge or "", code=code)
    sharing = list(_sharing_guardian_ids(row))
    if len(sharing) > 1:
        return CodeAccepted(choice_token=_signin_choice_open(code_row=row, candidates=sharing))
    if row.person_id not in sharing:
        # Since the code was sent, the address left the record or the person is no longer a
        # guardian who may sign in (a custody change, say): the code opens nothing.
        raise DomainError(
            "code: this code has expired; ask for a new one.", code="expired", field="code"
        )
    session, key = portal_session_start(person=row.person, via="code")
    return CodeAccepted(session=session, session_key=key)


def _sharing_guardian_ids(code_row: OneTimeCode) -> QuerySet:
    """Ids of the guardians who have, reachable, the address the code was sent to (the set
    guardian_contact_points gives), read now. Nobody when that contact point is gone or no longer
    holds the value the code was asked for."""
    point = code_row.contact_point
    if point is None or not same(code_row.identifier_hash, keyed_hash("identifier", point.value)):
        return Person.objects.none().values_list("pk", flat=True)
    return guardian_contact_points(point.kind, point.value).values_list("person_id", flat=True)


@transaction.atomic
def _signin_choice_open(*, code_row: OneTimeCode, candidates: list[int]) -> str:
    """Record who may be chosen after this spent code. Returns the raw token; only its hash is
    stored."""
    token = new_token()
    choice = SignInChoice.objects.create(
        code=code_row,
        token_hash=keyed_hash("choice", token),
        expires_at=timezone.now() + conf.choice_ttl(),
    )
    choice.candidates.set(candidates)
    return token


def signin_choice_get(token: str | None) -> SignInChoice | None:
    """The pending choice for a token, with its code and contact point; None when unknown,
    expired or already used."""
    if not token:
        return None
    return (
        SignInChoice.objects.filter(
            token_hash=keyed_hash("choice", token),
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("code__contact_point")
        .first()
    )


def signin_choice_candidates(choice: SignInChoice) -> QuerySet[Person]:
    """The guardians to choose from: those offered when the code was checked who still have the
    address, by name."""
    return choice.candidates.filter(pk__in=_sharing_guardian_ids(choice.code)).order_by(
        "first_name", "last_name", "pk"
    )


@transaction.atomic
def signin_choice_make(*, choice: SignInChoice, person_id: int) -> tuple[PortalSession, str]:
    """Finish a sign-in on a shared address as the guardian `person_id`, who must be one of the
    choice's candidates and still have the address. Spends the choice with a conditional update
    (single use, even under a race) and opens the session in the same transaction. Raises
    DomainError (field "person"): invalid_choice for anyone else, leaving the choice open;
    expired when the choice was used or has expired."""
    person = signin_choice_candidates(choice).filter(pk=person_id).first()
    if person is None:
        raise DomainError(
            "person: choose one of the names shown.", code="invalid_choice", field="person"
        )
    now = timezone.now()
    spent = SignInChoice.objects.filter(
        pk=choice.pk, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not spent:
        raise DomainError(
            "person: this code has expired; ask for a new one.", code="expired", field="person"
        )
    return portal_session_start(person=person, via="code")


@transaction.atomic
def portal_session_start(*, person: Person, via: str) -> tuple[PortalSession, str]:
    """Open a portal session for a guardian. Returns the row and the raw key (kept only by the
    browser, in its HttpOnly portal cookie; the row holds its hash)."""
    key = new_token()
    session = PortalSession.objects.create(
        person=person,
        key_hash=keyed_hash("session", key),
        expires_at=timezone.now() + conf.session_age(),
    )
    audit_record(
        actor=portal_actor(person), action="portal.session.started", obj=session, after={"via": via}
    )
    return session, key


@transaction.atomic
def portal_session_end(*, session: PortalSession) -> None:
    """Sign out this browser."""
    PortalSession.objects.filter(pk=session.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    audit_record(actor=portal_actor(session.person_id), action="portal.session.ended", obj=session)


@transaction.atomic
def portal_sessions_end_all(*, person: Person) -> int:
    """Sign out everywhere: revoke every live session of the guardian. Returns how many."""
    count = PortalSession.objects.filter(person=person, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    audit_record(
        actor=portal_actor(person),
        action="portal.session.ended_everywhere",
        obj=person,
        after={"sessions": count},
    )
    return count


@transaction.atomic
def portal_link_issue(*, actor, person: Person, ttl: timedelta | None = None) -> str:
    """Create a personal sign-in link for a guardian (campaign messages). Returns the raw token
    for the URL `portal:link`; only its hash is stored."""
    token = new_token()
    link = PortalLink.objects.create(
        person=person,
        token_hash=keyed_hash("link", token),
        expires_at=timezone.now() + (ttl or conf.link_ttl()),
        issued_by=str(actor)[:120] if isinstance(actor, str) else f"user:{actor.pk}",
    )
    audit_record(actor=actor, action="portal.link.issued", obj=link)
    return token


@transaction.atomic
def signin_link_redeem(*, token: str) -> tuple[PortalSession, str]:
    """Spend a personal link (POST only: a GET must never reach this) and open a session.
    Single use via a conditional update. Raises DomainError "link_invalid" for an unknown,
    expired or already used link, the same for each."""
    now = timezone.now()
    link = (
        PortalLink.objects.filter(token_hash=keyed_hash("link", token or ""))
        .select_related("person")
        .first()
    )
    spent = link is not None and PortalLink.objects.filter(
        pk=link.pk, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not spent or not _may_sign_in(link.person_id):
        # A person barred or no longer a guardian since the link was sent gets the same answer.
        raise DomainError(
            "token: this link has expired or was already used.", code="link_invalid", field="token"
        )
    return portal_session_start(person=link.person, via="link")


def _guardian_links() -> QuerySet[StudentContact]:
    """The links that let their person sign in: legal guardian of an active student, and not
    barred from that student."""
    return StudentContact.objects.filter(legal_guardian=True, student__active=True).exclude(
        pickup_status=StudentContact.Pickup.PROHIBITED
    )


def _may_sign_in(person_id: int) -> bool:
    return _guardian_links().filter(person_id=person_id).exists()
