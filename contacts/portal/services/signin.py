"""Passwordless sign-in: one-time codes, personal links and portal sessions.

Nothing here tells a caller whether a phone or email is on file: an unknown address gets a code
row with no person (no message is sent), so the answer, the redirect and the attempt counting are
the same. Codes, link tokens and session keys are stored only as keyed hashes.
"""

from datetime import timedelta

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from alerts.services import message_queue
from contacts.lib.compiled import CompiledQuery
from contacts.lib.phones import normalize_email, normalize_phone
from contacts.models import ContactPoint, Person, StudentContact
from privacy.errors import DomainError
from privacy.services import audit_record

from .. import conf
from ..lib import keyed_hash, new_code, new_token, same
from ..models import OneTimeCode, PortalLink, PortalSession
from ..ratelimit import rate_hit

REACHABLE = (ContactPoint.Status.UNVERIFIED, ContactPoint.Status.VERIFIED)


def portal_actor(person: Person | int) -> str:
    return f"portal:person:{getattr(person, 'pk', person)}"


def parse_identifier(raw: str, *, field: str = "identifier") -> tuple[str, str]:
    """(kind, normalised value) of what a guardian typed: an email if it has an @, else a phone."""
    value = (raw or "").strip()
    if "@" in value:
        return ContactPoint.Kind.EMAIL, normalize_email(value, field=field)
    return ContactPoint.Kind.PHONE, normalize_phone(value, field=field)


def guardian_contact_points(kind: str, value: str):
    """Reachable contact points with this value whose person is a legal guardian of an active
    student (and not barred from that student)."""
    guardian_link = StudentContact.objects.filter(
        person=OuterRef("person"), legal_guardian=True, student__active=True
    ).exclude(pickup_status=StudentContact.Pickup.PROHIBITED)
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


def signin_code_verify(*, challenge: str, code: str) -> tuple[PortalSession, str]:
    """Finish a sign-in with the code. Returns the new session and its key (for the browser).
    Raises DomainError (field "code"): wrong_code, expired, too_many_attempts."""
    row = (
        OneTimeCode.objects.filter(
            purpose=OneTimeCode.Purpose.SIGN_IN,
            challenge_hash=keyed_hash("challenge", challenge or ""),
        )
        .select_related("person")
        .first()
        if challenge
        else None
    )
    check_code(row=row, salt=challenge or "", code=code)
    return portal_session_start(person=row.person, via="code")


@transaction.atomic
def portal_session_start(*, person: Person, via: str) -> tuple[PortalSession, str]:
    """Open a portal session for a guardian. Returns the row and the raw key (kept only by the
    browser, in its server-side Django session)."""
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


_SESSION_FIELDS = [f.attname for f in PortalSession._meta.concrete_fields]
_PERSON_FIELDS = [f.attname for f in Person._meta.concrete_fields]
# Run on every signed-in page: compiled once per process (contacts/lib/compiled.py).
_UNREVOKED_SESSION = CompiledQuery(
    lambda key_hash: PortalSession.objects.filter(
        key_hash=key_hash, revoked_at__isnull=True
    ).values_list(*_SESSION_FIELDS, *(f"person__{name}" for name in _PERSON_FIELDS)),
    key_hash="compiled-query-marker:portal-session-key",
)


def portal_session_get(key: str | None) -> PortalSession | None:
    """The live session for a key, with its person; None when unknown, expired or revoked."""
    if not key:
        return None
    rows = _UNREVOKED_SESSION.rows(key_hash=keyed_hash("session", key))
    if not rows:
        return None
    split = len(_SESSION_FIELDS)
    session = PortalSession.from_db(DEFAULT_DB_ALIAS, _SESSION_FIELDS, rows[0][:split])
    if session.expires_at <= timezone.now():
        return None
    session.person = Person.from_db(DEFAULT_DB_ALIAS, _PERSON_FIELDS, rows[0][split:])
    return session


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
    if not spent:
        raise DomainError(
            "token: this link has expired or was already used.", code="link_invalid", field="token"
        )
    return portal_session_start(person=link.person, via="link")
