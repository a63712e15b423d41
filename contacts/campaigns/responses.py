"""What campaigns tells alerts: replies to a campaign SMS come here (flow "campaigns.verify",
priority 0, so an open emergency request to the same number outranks it)."""

from alerts.registry import Reply

from . import services

FLOW = "campaigns.verify"


def on_reply(reply: Reply) -> None:
    services.sms_reply_record(
        message_id=reply.message_id,
        person_id=reply.recipient_person_id,
        affirmative=reply.affirmative,
    )
