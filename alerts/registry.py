"""Where higher apps plug into alerts without alerts importing them.

alerts knows people and contact points only by id. The apps that own them (contacts, reunify)
register callbacks here, usually in their AppConfig.ready():

- a reply handler per flow: `register_reply_handler("reunify.pickup", fn)`; fn(Reply) is called
  inside the webhook's transaction, so the reply record and the flow's change commit together;
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
class Destination:
    channel: str
    address: str
    contact_point_id: int | None = None
    recipient_person_id: int | None = None
    language: str = "en"


ReplyHandler = Callable[[Reply], None]
ContactPointListener = Callable[[ContactPointEvent], None]
Resolver = Callable[[FallbackRequest], Destination | None]

_reply_handlers: dict[str, ReplyHandler] = {}
_contact_point_listeners: list[ContactPointListener] = []
_channel_resolvers: list[Resolver] = []
_contact_resolvers: list[Resolver] = []


def register_reply_handler(flow: str, handler: ReplyHandler) -> None:
    """One handler owns each flow; registering a flow twice is a bug in the caller."""
    if flow in _reply_handlers and _reply_handlers[flow] is not handler:
        raise ValueError(f"reply flow {flow!r} already has a handler")
    _reply_handlers[flow] = handler


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
    _contact_point_listeners.clear()
    _channel_resolvers.clear()
    _contact_resolvers.clear()


def snapshot() -> tuple:
    return (
        dict(_reply_handlers),
        list(_contact_point_listeners),
        list(_channel_resolvers),
        list(_contact_resolvers),
    )


def restore(state: tuple) -> None:
    clear()
    replies, listeners, channels, contacts = state
    _reply_handlers.update(replies)
    _contact_point_listeners.extend(listeners)
    _channel_resolvers.extend(channels)
    _contact_resolvers.extend(contacts)
