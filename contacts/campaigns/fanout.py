"""The campaign's two bulk writes into other apps, in one place: personal portal links and outbox
messages. Everything else in this app calls these two functions.

- `links_issue_many` writes a chunk's PortalLink rows in one COPY on PostgreSQL (config/bulk.py),
  each made by the portal's own `link_fields`; the raw tokens are returned for the messages and
  never stored.
- `messages_queue_many` hands the chunk to alerts' `messages_queue_many` (in the caller's
  transaction, rows enqueued on commit) as their sole writer.

Both are called only by a chunk that owns its rows (services/delivery.py): a fan-out chunk holds
the campaign row's lock, a reminder chunk has claimed its reminders. Either way it is the only
writer of its links' fresh tokens and of its messages' campaign-scoped keys.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse

from alerts.services import OutgoingMessage
from alerts.services import messages_queue_many as alerts_queue_many
from config.bulk import bulk_insert
from contacts.portal.models import PortalLink
from contacts.portal.services.signin import link_fields

from . import conf

CAUSE_TYPE = "campaigns.campaign"
PURPOSE = "campaign.verify"


@dataclass(frozen=True)
class IssuedLink:
    link_id: int
    url: str


# A token is URL-safe base64 (letters, digits, "-" and "_"), which reverse() leaves as it is.
_PLACEHOLDER = "TOKEN"


def link_urls(tokens: Iterable[str]) -> dict[str, str]:
    """{token: the full URL of its personal link}, reversing the portal's URL once."""
    head, _, tail = reverse("portal:link", args=[_PLACEHOLDER]).rpartition(_PLACEHOLDER)
    base = f"{conf.link_base_url()}{head}"
    return {token: f"{base}{token}{tail}" for token in tokens}


def links_issue_many(
    *, person_ids: Iterable[int], expires_at: datetime, issued_by: str
) -> dict[int, IssuedLink]:
    """One single-use personal sign-in link per person, expiring at `expires_at`; only the
    tokens' keyed hashes are stored. Returns {person id: the saved link's id and its URL}."""
    made = [
        link_fields(person_id=person_id, expires_at=expires_at, issued_by=issued_by[:120])
        for person_id in person_ids
    ]
    bulk_insert(PortalLink, [fields for fields, _token in made])
    pk_of = dict(
        PortalLink.objects.filter(
            token_hash__in=[fields["token_hash"] for fields, _token in made]
        ).values_list("token_hash", "pk")
    )
    urls = link_urls(token for _fields, token in made)
    return {
        fields["person_id"]: IssuedLink(link_id=pk_of[fields["token_hash"]], url=urls[token])
        for fields, token in made
    }


def messages_queue_many(*, messages: list[OutgoingMessage]) -> int:
    """Write the chunk's messages to the outbox in the caller's transaction, which owns their
    keys (see the module's docstring)."""
    return alerts_queue_many(messages=messages, sole_writer=True)


def outgoing(
    *,
    campaign_id: int,
    key: str,
    channel: str,
    address: str,
    person_id: int,
    contact_point_id: int,
    language: str,
    template_key: str,
    context: dict,
) -> OutgoingMessage:
    """A campaign message: the bulk lane, replies go to the campaign's flow, counted by cause.
    No automatic fallback: the next channel of a guardian whose message failed is chosen at
    the next reminder, with the template that channel needs (a call reads no link)."""
    return OutgoingMessage(
        channel=channel,
        address=address,
        purpose=PURPOSE,
        template_key=template_key,
        language=language,
        context=context,
        idempotency_key=f"campaigns:{campaign_id}:{key}",
        recipient_person_id=person_id,
        contact_point_id=contact_point_id,
        fallback="none",
        reply_flow="campaigns.verify",
        bulk=True,
        cause_type=CAUSE_TYPE,
        cause_id=campaign_id,
    )
