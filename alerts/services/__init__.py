"""Every write in alerts. Other apps create messages only through `message_queue` and
`messages_queue_many`."""

from .delivery import message_deliver, message_status_update, messages_dispatch
from .inbound import InboundResult, inbound_receive
from .outbox import OutgoingMessage, message_queue, messages_enqueue, messages_queue_many
from .sweeper import messages_sweep

__all__ = [
    "InboundResult",
    "OutgoingMessage",
    "inbound_receive",
    "message_deliver",
    "message_queue",
    "message_status_update",
    "messages_queue_many",
    "messages_dispatch",
    "messages_enqueue",
    "messages_sweep",
]
