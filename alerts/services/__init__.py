"""Every write in alerts. Other apps create messages only through `message_queue`."""

from .delivery import message_deliver, message_status_update, messages_dispatch
from .inbound import InboundResult, inbound_receive
from .outbox import message_queue
from .sweeper import messages_sweep

__all__ = [
    "InboundResult",
    "inbound_receive",
    "message_deliver",
    "message_queue",
    "message_status_update",
    "messages_dispatch",
    "messages_sweep",
]
