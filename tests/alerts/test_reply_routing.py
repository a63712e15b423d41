"""A reply reaches the conversation it answers: a quoted reference first, then the open
conversation of the flow with the highest priority, newest first."""

import pytest

from alerts import registry
from alerts.models import InboundMessage

from .helpers import queue_sms

pytestmark = pytest.mark.django_db

INBOUND = "/alerts/twilio/inbound"
PICKUP = "reunify.pickup"
CAMPAIGN = "campaigns.verify"


class Flow:
    """A reply handler that records what it got and can close a conversation."""

    def __init__(self, name: str, priority: int) -> None:
        self.replies: list[registry.Reply] = []
        self.closed: set[int] = set()
        registry.register_reply_handler(
            name, self.replies.append, priority=priority, is_open=self.is_open
        )

    def is_open(self, message_id: int) -> bool:
        return message_id not in self.closed


@pytest.fixture
def reply(client, sign):
    sids = iter(range(1, 1000))

    def _reply(body: str, address: str = "+13125550101"):
        form = {"MessageSid": f"SMr{next(sids)}", "From": address, "Body": body}
        response = client.post(INBOUND, form, **sign(INBOUND, form))
        assert response.status_code == 200
        return InboundMessage.objects.get(provider_id=form["MessageSid"])

    return _reply


@pytest.fixture
def flows(clean_registry):
    return Flow(PICKUP, priority=100), Flow(CAMPAIGN, priority=0)


def pickup_request(commit, key="pickup", **extra):
    kwargs = {
        "template_key": "case.pickup_request",
        "context": {"students": "Ana", "school": "Lincoln Elementary"},
        "emergency": True,
        "reply_flow": PICKUP,
        "cause_type": "reunify.case",
        "cause_id": 3,
    }
    return commit(queue_sms, key, **(kwargs | extra))


def campaign_message(commit, key="campaign", **extra):
    return commit(
        queue_sms,
        key,
        purpose="campaign.verify",
        template_key="campaign.verify",
        context={"link": "https://reunify.example.org/portal/link/x/"},
        reply_flow=CAMPAIGN,
        cause_type="campaigns.campaign",
        cause_id=9,
        **extra,
    )


def test_yes_goes_to_the_pickup_request_although_a_campaign_message_is_newer(
    fake_twilio, commit, flows, reply
):
    pickup, campaign = flows
    request = pickup_request(commit)
    campaign_message(commit)
    inbound = reply("YES")
    assert [r.message_id for r in pickup.replies] == [request.pk]
    assert pickup.replies[0].affirmative
    assert campaign.replies == []
    assert (inbound.outcome, inbound.in_reply_to_id) == (InboundMessage.Outcome.ROUTED, request.pk)


def test_once_the_pickup_request_is_closed_the_yes_goes_to_the_campaign(
    fake_twilio, commit, flows, reply
):
    pickup, campaign = flows
    request = pickup_request(commit)
    newest_campaign = campaign_message(commit)
    pickup.closed.add(request.pk)
    reply("YES")
    assert pickup.replies == []
    assert [r.message_id for r in campaign.replies] == [newest_campaign.pk]


def test_within_a_flow_the_newest_open_message_wins(fake_twilio, commit, flows, reply):
    pickup, _ = flows
    first = pickup_request(commit, "first")
    second = pickup_request(commit, "second")
    reply("yes")
    pickup.closed.add(second.pk)
    reply("yes")
    assert [r.message_id for r in pickup.replies] == [second.pk, first.pk]


def test_a_quoted_reference_wins_over_priority(fake_twilio, commit, flows, reply):
    pickup, campaign = flows
    pickup_request(commit)
    named = campaign_message(commit, reply_ref="4821")
    reply("yes 4821")
    assert [r.message_id for r in campaign.replies] == [named.pk]
    assert pickup.replies == []


def test_a_reference_is_offered_to_the_template_and_kept_by_a_fallback(
    fake_twilio, commit, clean_registry, monkeypatch
):
    from alerts import templates
    from alerts.models import Message

    monkeypatch.setitem(
        templates.TEMPLATES,
        "tests.pickup_ref",
        ("Pickup", "Can you come for {students}? YES {reply_ref}"),
    )
    fake_twilio.for_number("+13125550101", "error", 21211)
    registry.register_channel_resolver(
        lambda r: (
            None
            if (71, "sms") in r.tried
            else registry.Destination(channel="sms", address="+13125550109", contact_point_id=71)
        )
    )
    first = pickup_request(
        commit, reply_ref="4821", template_key="tests.pickup_ref", context={"students": "Ana"}
    )
    assert first.body == "Can you come for Ana? YES 4821"
    second = Message.objects.get(fallback_of=first)
    assert second.reply_ref == "4821"
    assert second.body == first.body


def test_a_reference_to_a_closed_conversation_does_not_reopen_it(fake_twilio, commit, flows, reply):
    pickup, campaign = flows
    request = pickup_request(commit, reply_ref="7310")
    newest_campaign = campaign_message(commit)
    pickup.closed.add(request.pk)
    reply("YES 7310")
    assert pickup.replies == []
    assert [r.message_id for r in campaign.replies] == [newest_campaign.pk]


def test_a_flow_without_a_handler_does_not_swallow_the_reply(fake_twilio, commit, reply):
    seen: list[registry.Reply] = []
    registry.register_reply_handler(CAMPAIGN, seen.append)
    campaign = campaign_message(commit)
    pickup_request(commit)  # newer, but nobody handles reunify.pickup in this process
    assert reply("YES").outcome == InboundMessage.Outcome.ROUTED
    assert [r.message_id for r in seen] == [campaign.pk]


def test_no_open_conversation_leaves_the_reply_unrouted(fake_twilio, commit, flows, reply):
    pickup, campaign = flows
    request = pickup_request(commit)
    pickup.closed.add(request.pk)
    assert reply("YES").outcome == InboundMessage.Outcome.UNROUTED
    assert pickup.replies == campaign.replies == []


def test_the_reply_carries_the_messages_fallback_context(fake_twilio, commit, flows, reply):
    pickup, _ = flows
    pickup_request(commit, fallback_context={"outreach_id": 12})
    reply("no")
    assert pickup.replies[0].context == {"outreach_id": 12}
    assert pickup.replies[0].negative


def test_a_reference_needs_a_reply_flow():
    with pytest.raises(ValueError, match="reply_ref"):
        queue_sms("x", reply_ref="4821")
