"""Where higher apps plug into alerts without alerts importing them.

alerts knows people and contact points only by id. The apps that own them (contacts, reunify)
register callbacks here, usually in their AppConfig.ready():

- a reply handler per flow: `register_reply_handler("reunify.pickup", fn, priority=100,
  is_open=still_waiting)`. fn(Reply) is called inside the webhook's transaction, so the reply
  record and the flow's change commit together. How an inbound SMS finds the conversation it
  answers (alerts.services.inbound):

  1. the candidates are the messages sent to that number in the last 72 hours whose
     `reply_flow` has a registered handler and which their flow still calls open;
  2. a message may carry a short reference (`message_queue(..., reply_ref="4821")`, offered to
     its template as `{reply_ref}`: "reply YES 4821"); a reply that contains the reference of a
     candidate goes to that message, whatever the priorities;
  3. otherwise the reply goes to the flow with the highest `priority` (an open emergency
     request, 100, outranks a campaign, 0), and within it to its newest open message.

  A flow says whether a conversation is still open with `is_open(message_id) -> bool` (called
  inside the webhook's transaction, for the candidates only, newest first; it may read the
  database). Without it a message stays open for the whole 72 hours. A pickup request that was
  answered, or moved on to the next adult, says False: the next YES from that number then goes
  to whatever else is waiting for it (a campaign), not to the closed request;
- a fallback-exhausted listener per flow: fn(FallbackExhausted) when a message of that flow
  failed permanently and no channel or contact is left to try (or its fallback was "none"),
  called on commit of the change that recorded the last failure;
- contact point listeners: fn(ContactPointEvent) when a contact point proved invalid, opted out
  or opted back in (called on commit of the change that learned it);
- a channel resolver: fn(FallbackRequest) -> Destination | None, the next channel of the same
  person after a permanent failure;
- a contact resolver: fn(FallbackRequest) -> Destination | None, the next person to try, for
  messages queued with fallback="contact".
"""

from collections.abc import Callable
from dataclasses import dataclass, field

# Reply words that mean yes, in the district's languages (compared after normalisation).
AFFIRMATIVE = frozenset({"yes", "y", "1", "si", "ok", "okay", "co", "vang", "da", "نعم", "ايوه"})
NEGATIVE = frozenset({"no", "n", "2", "khong", "لا"})


@dataclass(frozen=True)
class Reply:
    message_id: int
    flow: str
    recipient_person_id: int | None
    contact_point_id: int | None
    text: str
    keyword: str
    affirmative: bool
    negative: bool
    # The message's fallback_context (e.g. {"outreach_id": 5}): a reply to a fallback message
    # carries the same context as the message it fell back from.
    context: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ContactPointEvent:
    status: str  # "invalid", "opted_out" or "opted_in"
    reason: str  # an alerts.models.ErrorCode value, or the keyword received
    channel: str
    address: str
    contact_point_id: int | None = None
    recipient_person_id: int | None = None
    message_id: int | None = None


@dataclass(frozen=True)
class FallbackRequest:
    message_id: int
    recipient_person_id: int | None
    failed_channel: str
    failed_contact_point_id: int | None
    reason: str
    # (contact_point_id, channel) pairs already tried in this chain, and the people tried.
    tried: frozenset[tuple[int | None, str]] = field(default_factory=frozenset)
    tried_people: frozenset[int] = field(default_factory=frozenset)
    context: dict = field(default_factory=dict)


@dataclass(frozen=True)
class FallbackExhausted:
    """A message's fallback chain ran out: nobody was reached through it."""

    message_id: int
    flow: str
    recipient_person_id: int | None
    reason: str  # the ErrorCode of the last failure
    cause_type: str = ""
    cause_id: int | None = None
    # The message's fallback_context, as given when the first message of the chain was queued.
    context: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Destination:
    channel: str
    address: str
    contact_point_id: int | None = None
    recipient_person_id: int | None = None
    language: str = "en"


ReplyHandler = Callable[[Reply], None]
ContactPointListener = Callable[[ContactPointEvent], None]
Resolver = Callable[[FallbackRequest], Destination | None]
ExhaustedListener = Callable[[FallbackExhausted], None]
OpenCheck = Callable[[int], bool]

_reply_handlers: dict[str, ReplyHandler] = {}
_reply_priorities: dict[str, int] = {}
_open_checks: dict[str, OpenCheck] = {}
_exhausted_listeners: dict[str, ExhaustedListener] = {}
_contact_point_listeners: list[ContactPointListener] = []
_channel_resolvers: list[Resolver] = []
_contact_resolvers: list[Resolver] = []


def register_reply_handler(
    flow: str, handler: ReplyHandler, *, priority: int = 0, is_open: OpenCheck | None = None
) -> None:
    """One handler owns each flow; registering a flow twice is a bug in the caller. A reply goes
    to the waiting flow with the highest `priority` (emergency flows: 100; campaigns: 0);
    `is_open(message_id)` says whether a message of the flow still waits for a reply."""
    if flow in _reply_handlers and _reply_handlers[flow] is not handler:
        raise ValueError(f"reply flow {flow!r} already has a handler")
    _reply_handlers[flow] = handler
    _reply_priorities[flow] = priority
    if is_open is None:
        _open_checks.pop(flow, None)
    else:
        _open_checks[flow] = is_open


def reply_priority(flow: str) -> int:
    return _reply_priorities.get(flow, 0)


def reply_open(flow: str, message_id: int) -> bool:
    """Whether the flow still waits for a reply to this message (True without an is_open)."""
    check = _open_checks.get(flow)
    return True if check is None else bool(check(message_id))


def register_fallback_exhausted_listener(flow: str, listener: ExhaustedListener) -> None:
    """One listener per flow hears that a message of that flow reached nobody."""
    if flow in _exhausted_listeners and _exhausted_listeners[flow] is not listener:
        raise ValueError(f"flow {flow!r} already has a fallback-exhausted listener")
    _exhausted_listeners[flow] = listener


def notify_fallback_exhausted(event: FallbackExhausted) -> None:
    listener = _exhausted_listeners.get(event.flow)
    if listener is not None:
        listener(event)


def register_contact_point_listener(listener: ContactPointListener) -> None:
    if listener not in _contact_point_listeners:
        _contact_point_listeners.append(listener)


def register_channel_resolver(resolver: Resolver) -> None:
    if resolver not in _channel_resolvers:
        _channel_resolvers.append(resolver)


def register_contact_resolver(resolver: Resolver) -> None:
    if resolver not in _contact_resolvers:
        _contact_resolvers.append(resolver)


def reply_handler_for(flow: str) -> ReplyHandler | None:
    return _reply_handlers.get(flow)


def notify_contact_point(event: ContactPointEvent) -> None:
    for listener in list(_contact_point_listeners):
        listener(event)


def _first(resolvers: list[Resolver], request: FallbackRequest) -> Destination | None:
    for resolver in list(resolvers):
        destination = resolver(request)
        if destination is not None:
            return destination
    return None


def resolve_next_channel(request: FallbackRequest) -> Destination | None:
    return _first(_channel_resolvers, request)


def resolve_next_contact(request: FallbackRequest) -> Destination | None:
    return _first(_contact_resolvers, request)


def clear() -> None:
    """Forget every registration (tests)."""
    _reply_handlers.clear()
    _reply_priorities.clear()
    _open_checks.clear()
    _exhausted_listeners.clear()
    _contact_point_listeners.clear()
    _channel_resolvers.clear()
    _contact_resolvers.clear()


def snapshot() -> tuple:
    return (
        dict(_reply_handlers),
        dict(_reply_priorities),
        dict(_open_checks),
        dict(_exhausted_listeners),
        list(_contact_point_listeners),
        list(_channel_resolvers),
        list(_contact_resolvers),
    )


def restore(state: tuple) -> None:
    clear()
    replies, priorities, open_checks, exhausted, listeners, channels, contacts = state
    _reply_handlers.update(replies)
    _reply_priorities.update(priorities)
    _open_checks.update(open_checks)
    _exhausted_listeners.update(exhausted)
    _contact_point_listeners.extend(listeners)
    _channel_resolvers.extend(channels)
    _contact_resolvers.extend(contacts)
