"""Passwordless sign-in: one-time codes, personal links and portal sessions.

Nothing here tells a caller whether a phone or email is on file: an unknown address gets a code
row with no person (no message is sent), so the answer, the redirect and the attempt counting are
the same. Codes, choice tokens, link tokens and session keys are stored only as keyed hashes.

Guardians may share a phone or email (a family phone). The code goes to that address once; after
the right code, the one who typed it chooses which of those guardians they are (SignInChoice).
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from alerts.services import message_queue
from contacts.lib.phones import normalize_email, normalize_phone
from contacts.models import ContactPoint, Person, StudentContact
from privacy.errors import DomainError
from privacy.services import audit_record

from .. import conf
from ..lib import keyed_hash, new_code, new_token, same
from ..models import OneTimeCode, PortalLink, PortalSession, SignInChoice
from ..ratelimit import rate_hit

logger = logging.getLogger(__name__)

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
    """Reachable contact points with this value whose person is a custodial legal guardian of an
    active student (one who may sign in)."""
    is_a_guardian = Exists(StudentContact.objects.guardianships().filter(person=OuterRef("person")))
    return (
        ContactPoint.objects.reachable()
        .filter(is_a_guardian, kind=kind, value=value)
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
    """Start a sign-in: a 6-digit code goes to `identifier` if a guardian has it on file.

    Returns a random challenge for the caller to keep in the browser session (never in a URL);
    the code is only valid together with it. Nothing the caller can see or time tells whether
    the address is on file: on both paths the request runs the same queries (the rate counters,
    one lookup, one insert of a pending code row, with or without a person) and queues the same
    one task on commit, with only the row's id; the worker (`signin_code_send`) decides whether a
    code is made and sent. Raises DomainError on a badly formed phone/email (field "identifier"),
    "rate_limited" (429) per client address, "code_wait" (429) once the number's codes are
    spent for a while (see `_count_code_request`).
    """
    kind, value = parse_identifier(identifier)
    count, window = conf.rate_per_ip()
    rate_hit(scope="code:ip", value=ip, limit=count, window_seconds=window, field="identifier")
    _count_code_request(value=value, ip=ip)

    challenge = new_token()
    point = guardian_contact_points(kind, value).first()
    with transaction.atomic():
        row = OneTimeCode.objects.create(
            purpose=OneTimeCode.Purpose.SIGN_IN,
            challenge_hash=keyed_hash("challenge", challenge),
            identifier_hash=keyed_hash("identifier", value),
            person_id=point.person_id if point else None,
            contact_point=point,
            code_hash="",  # made by the worker, if anyone is to get a code
            expires_at=timezone.now() + conf.code_ttl(),
        )
        transaction.on_commit(partial(_enqueue_code_send, row.pk))
    return challenge


def _count_code_request(*, value: str, ip: str) -> None:
    """Limit the codes one phone or email is sent (SMS pumping costs the district money) without
    ever letting a stranger lock a parent out: a burst per address on file from anywhere
    (PORTAL_RATE_PER_IDENTIFIER, 5 an hour), then a slower rate per address on file and client
    address (PORTAL_RATE_PER_IDENTIFIER_AFTER_BURST, one per 10 minutes), which requests from
    other client addresses never use up. The per-client-address limit (PORTAL_RATE_PER_IP) is what
    blocks one sender. Raises DomainError "code_wait" (429); a code sent before stays good."""
    count, window = conf.rate_per_identifier()
    try:
        rate_hit(
            scope="code:id", value=value, limit=count, window_seconds=window, field="identifier"
        )
    except DomainError:
        count, window = conf.rate_per_identifier_after_burst()
        try:
            rate_hit(
                scope="code:id:slow",
                value=f"{value}|{ip}",
                limit=count,
                window_seconds=window,
                field="identifier",
            )
        except DomainError as error:
            raise DomainError(
                "identifier: a code was asked for a moment ago; use it or wait a few minutes.",
                code="code_wait",
                field="identifier",
                status=429,
            ) from error


def _enqueue_code_send(code_id: int) -> None:
    """Hand the pending code to a worker on the emergency queue. If the broker is down the
    guardian gets no code and asks again; the answer they saw was the same either way."""
    from ..tasks import signin_code_send

    try:
        signin_code_send.apply_async(args=[code_id], queue="emergency")
    except (BrokerError, ConnectionError, OSError):
        logger.warning("portal sign-in code not enqueued: code row %s", code_id)


def _sign_in_salt(code_id: int) -> str:
    """What a sign-in code's hash is salted with: its own row (the worker that makes the code
    never sees the challenge, which only the browser holds)."""
    return f"sign_in:{code_id}"


def signin_code_send(*, code_id: int) -> bool:
    """The worker's half of `signin_code_request`: make the code of a pending sign-in row and
    send it, if the row was made for a guardian's contact point that is still reachable. Returns
    whether a code was sent.

    The row is claimed by a conditional update (its code hash still empty, unused, unexpired), so
    a task run twice sends one code; the claim and the outbox message commit together."""
    code = new_code()
    with transaction.atomic():
        claimed = OneTimeCode.objects.filter(
            pk=code_id,
            purpose=OneTimeCode.Purpose.SIGN_IN,
            contact_point__isnull=False,
            code_hash="",
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).update(code_hash=keyed_hash("code", _sign_in_salt(code_id), code))
        if not claimed:
            return False
        row = OneTimeCode.objects.select_related("contact_point__person").get(pk=code_id)
        if not row.contact_point.reachable:
            return False
        send_code(point=row.contact_point, code_row=row, code=code, template_key="portal.code")
    return True


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
    check_code(row=row, salt=_sign_in_salt(row.pk) if row else "", code=code)
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


def _issued_by(actor) -> str:
    return str(actor)[:120] if isinstance(actor, str) else f"user:{actor.pk}"


def link_fields(*, person_id: int, expires_at: datetime, issued_by: str) -> tuple[dict, str]:
    """A new personal link's field values and its raw token: the row holds only the token's
    keyed hash. The one definition of a link row, for one link or a campaign's thousands."""
    token = new_token()
    fields = {
        "person_id": person_id,
        "token_hash": keyed_hash("link", token),
        "expires_at": expires_at,
        "issued_by": issued_by,
    }
    return fields, token


def _unsaved_link(
    *, person_id: int, expires_at: datetime, issued_by: str
) -> tuple[PortalLink, str]:
    """A new link row (not saved yet) and its raw token."""
    fields, token = link_fields(person_id=person_id, expires_at=expires_at, issued_by=issued_by)
    return PortalLink(**fields), token


@transaction.atomic
def portal_link_issue(*, actor, person: Person, ttl: timedelta | None = None) -> str:
    """Create a personal sign-in link for a guardian. Returns the raw token for the URL
    `portal:link`; only its hash is stored. For many guardians at once (a campaign), use
    portal_links_issue_many."""
    link, token = _unsaved_link(
        person_id=person.pk,
        expires_at=timezone.now() + (ttl or conf.link_ttl()),
        issued_by=_issued_by(actor),
    )
    link.save()
    audit_record(actor=actor, action="portal.link.issued", obj=link)
    return token


LINKS_CHUNK = 1000


@transaction.atomic
def portal_links_issue_many(
    *,
    person_ids: Iterable[int],
    actor_label: str,
    ttl: timedelta | None = None,
    chunk_size: int = LINKS_CHUNK,
) -> dict[int, str]:
    """Create one personal sign-in link per guardian (a campaign's recipients, up to a whole
    district). Returns {person id: raw token}; only the tokens' hashes are stored. A person id
    given twice gets one link.

    The links are inserted `chunk_size` at a time with bulk_create, and each chunk is recorded by
    one audit entry ("portal.links.issued", naming the people and the links) instead of one per
    link. All in one transaction: every link is created, or none (the caller needs every token to
    send its messages). The rows are checked by the database (a person id that does not exist
    raises IntegrityError and nothing is kept)."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    expires_at = timezone.now() + (ttl or conf.link_ttl())
    issued_by = _issued_by(actor_label)
    ids = list(dict.fromkeys(person_ids))
    tokens: dict[int, str] = {}
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        made = [
            _unsaved_link(person_id=person_id, expires_at=expires_at, issued_by=issued_by)
            for person_id in chunk
        ]
        links = PortalLink.objects.bulk_create([link for link, _token in made])
        audit_record(
            actor=actor_label,
            action="portal.links.issued",
            object_type=PortalLink._meta.label_lower,
            after={
                "person_ids": chunk,
                "link_ids": [link.pk for link in links],
                "expires_at": expires_at.isoformat(),
            },
        )
        tokens.update((link.person_id, token) for link, token in made)
    return tokens


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


def _may_sign_in(person_id: int) -> bool:
    return StudentContact.objects.guardianships().filter(person_id=person_id).exists()
