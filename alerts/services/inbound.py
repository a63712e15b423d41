"""Inbound SMS: opt-out keywords, help, and replies handed to the flow that asked."""

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .. import registry
from ..models import Channel, InboundMessage, Message, Suppression
from ..templates import render_template

logger = logging.getLogger(__name__)

# Carrier-standard keywords (CTIA) plus the district's languages. Compared after normalise().
STOP_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "parar", "baja", "dung", "توقف"}
)
START_WORDS = frozenset({"start", "unstop", "iniciar", "batdau", "ابدأ", "ابدا"})
HELP_WORDS = frozenset({"help", "info", "ayuda", "giupdo", "trogiup", "مساعدة"})

# How long after a message a reply is still taken as an answer to it, and how many of the
# newest messages to one number are considered.
REPLY_WINDOW = timedelta(hours=72)
REPLY_CANDIDATES = 50
# A message reference quoted in a reply ("YES 4821"): a word of 3 to 12 letters or digits.
_REFERENCE = re.compile(r"\b([0-9A-Za-z]{3,12})\b")


def normalise(text: str) -> str:
    """'  Sí! ' → 'si', 'CÓ' → 'co', 'Giúp đỡ' → 'giupdo'; Arabic is kept as written."""
    text = text.strip().casefold().replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in kept if ch.isalnum())


@dataclass(frozen=True)
class InboundResult:
    outcome: str
    reply: str | None = None
    duplicate: bool = False


def inbound_receive(*, provider_id: str, from_address: str, body: str) -> InboundResult:
    """Record an inbound SMS and act on it, in one transaction.

    STOP-type words suppress the number (SMS to it then fail as opted out) and tell the contact
    point's owner; START-type words lift that; HELP returns the help text in the language of
    the last message we sent to the number. Anything else goes to the reply handler of the
    conversation it answers (`reply_target`: a quoted reference, else the open conversation of
    the highest-priority flow, newest first; see alerts.registry), inside this transaction, so
    the flow's change and the inbound record commit together (a handler that raises rolls both
    back and the webhook answers 500, which makes Twilio retry). A repeated webhook (same
    MessageSid) changes nothing."""
    first_word = body.strip().split()[0] if body.strip() else ""
    keyword = normalise(first_word)
    whole = normalise(body)
    with transaction.atomic():
        inbound, created = InboundMessage.objects.get_or_create(
            provider_id=provider_id,
            defaults={
                "from_address": from_address,
                "body": body[:1600],
                "outcome": InboundMessage.Outcome.UNROUTED,
            },
        )
        if not created:
            return InboundResult(outcome=inbound.outcome, duplicate=True)
        last = (
            Message.objects.filter(address=from_address, channel__in=[Channel.SMS, Channel.VOICE])
            .exclude(status=Message.Status.CANCELLED)
            .order_by("-created_at", "-id")
            .first()
        )
        reply_text = None
        if whole in STOP_WORDS or keyword in STOP_WORDS:
            Suppression.objects.get_or_create(address=from_address, defaults={"keyword": keyword})
            outcome = InboundMessage.Outcome.OPTED_OUT
            _notify(last, from_address, "opted_out", keyword)
        elif whole in START_WORDS or keyword in START_WORDS:
            Suppression.objects.filter(address=from_address).delete()
            outcome = InboundMessage.Outcome.OPTED_IN
            _notify(last, from_address, "opted_in", keyword)
        elif whole in HELP_WORDS or keyword in HELP_WORDS:
            outcome = InboundMessage.Outcome.HELP
            _, reply_text = render_template(
                "alerts.help", last.language if last else "en", "sms", {}
            )
        else:
            outcome = _route_reply(inbound, body, keyword)
        inbound.outcome = outcome
        inbound.in_reply_to = (
            last if outcome != InboundMessage.Outcome.ROUTED else inbound.in_reply_to
        )
        inbound.save(update_fields=["outcome", "in_reply_to"])
    logger.info("alerts inbound: inbound=%s outcome=%s", inbound.pk, outcome)
    return InboundResult(outcome=outcome, reply=reply_text)


def _notify(last: Message | None, address: str, status: str, keyword: str) -> None:
    event = registry.ContactPointEvent(
        status=status,
        reason=keyword,
        channel=Channel.SMS,
        address=address,
        contact_point_id=last.contact_point_id if last else None,
        recipient_person_id=last.recipient_person_id if last else None,
        message_id=last.pk if last else None,
    )
    transaction.on_commit(lambda: registry.notify_contact_point(event))


def _route_reply(inbound: InboundMessage, body: str, keyword: str) -> str:
    """Hand the reply to the conversation it answers (the rules are alerts.registry's)."""
    target = reply_target(inbound.from_address, body)
    if target is None:
        return InboundMessage.Outcome.UNROUTED
    inbound.in_reply_to = target
    handler = registry.reply_handler_for(target.reply_flow)
    handler(
        registry.Reply(
            message_id=target.pk,
            flow=target.reply_flow,
            recipient_person_id=target.recipient_person_id,
            contact_point_id=target.contact_point_id,
            text=body,
            keyword=keyword,
            affirmative=keyword in registry.AFFIRMATIVE,
            negative=keyword in registry.NEGATIVE,
            context=dict(target.fallback_context or {}),
        )
    )
    return InboundMessage.Outcome.ROUTED


def reply_target(address: str, body: str) -> Message | None:
    """The message a reply from `address` answers: among the recent messages to it whose flow
    has a handler and still calls them open, the one whose reference the reply quotes, else the
    newest of the flow with the highest priority. None when no conversation waits."""
    recent = list(
        Message.objects.filter(
            address=address,
            channel=Channel.SMS,
            created_at__gte=timezone.now() - REPLY_WINDOW,
            status__in=[Message.Status.SENT, Message.Status.DELIVERED, Message.Status.SENDING],
        )
        .exclude(reply_flow="")
        .order_by("-created_at", "-id")[:REPLY_CANDIDATES]
    )
    candidates = []
    for message in recent:
        if registry.reply_handler_for(message.reply_flow) is None:
            logger.warning("alerts reply flow has no handler: message=%s", message.pk)
        else:
            candidates.append(message)
    quoted = {word.casefold() for word in _REFERENCE.findall(body)}

    def rank(message: Message) -> tuple[bool, int]:
        named = bool(message.reply_ref) and message.reply_ref.casefold() in quoted
        return (not named, -registry.reply_priority(message.reply_flow))

    # sorted() is stable: within one rank the messages stay newest first.
    ranked = sorted(candidates, key=rank)
    for message in ranked:
        if registry.reply_open(message.reply_flow, message.pk):
            return message
    return None
