"""Permanent failures mark the contact point (through the registry) and fall back to the next
channel of the same person, or to the next contact when the caller asked for it."""

import pytest

from alerts import registry
from alerts.models import ErrorCode, Message

from .helpers import EMAIL, PHONE, queue_sms

pytestmark = pytest.mark.django_db

UNCLE = "+525512345678"


@pytest.fixture
def events(clean_registry):
    seen: list[registry.ContactPointEvent] = []
    registry.register_contact_point_listener(seen.append)
    return seen


@pytest.fixture
def email_next(clean_registry):
    """Maria's next channel is her email, in Spanish."""
    requests: list[registry.FallbackRequest] = []

    def resolve(request):
        requests.append(request)
        if (71, "email") in request.tried:
            return None
        return registry.Destination(
            channel="email", address=EMAIL, contact_point_id=71, language="es"
        )

    registry.register_channel_resolver(resolve)
    return requests


def test_invalid_number_marks_contact_point_and_falls_back_to_email(
    fake_twilio, fake_smtp, commit, events, email_next
):
    fake_twilio.for_number(PHONE, "error", 21211)
    first = commit(queue_sms)
    first.refresh_from_db()
    assert (first.status, first.error_code) == (Message.Status.FAILED, ErrorCode.INVALID_ADDRESS)
    assert [(e.status, e.reason, e.contact_point_id) for e in events] == [
        ("invalid", ErrorCode.INVALID_ADDRESS, 70)
    ]
    assert email_next[0].failed_contact_point_id == 70
    assert email_next[0].recipient_person_id == 7
    second = Message.objects.get(fallback_of=first)
    assert (second.channel, second.status, second.language) == ("email", "sent", "es")
    assert second.recipient_person_id == 7
    [mail] = fake_smtp.inbox
    assert mail.rcpt_tos == [EMAIL]
    assert "482913" in mail.message.get_content()
    assert "código" in mail.message.get_content()


def test_landline_falls_back_to_a_voice_call_on_the_same_number(fake_twilio, commit, events):
    fake_twilio.for_number(PHONE, "error", 21614)

    def voice_same_number(request):
        if (70, "voice") in request.tried:
            return None
        return registry.Destination(channel="voice", address=PHONE, contact_point_id=70)

    registry.register_channel_resolver(voice_same_number)
    fake_twilio_calls_ok = fake_twilio  # a per-number rule applies to Messages and Calls alike
    fake_twilio_calls_ok.for_number(PHONE, "ok")
    fake_twilio.then("error", 21614)
    first = commit(queue_sms, "landline")
    first.refresh_from_db()
    assert first.error_code == ErrorCode.LANDLINE
    assert events[0].status == "invalid" and events[0].reason == ErrorCode.LANDLINE
    call = Message.objects.get(fallback_of=first)
    assert (call.channel, call.status) == ("voice", "sent")
    assert len(fake_twilio.created("call")) == 1


def test_next_contact_fallback_when_the_person_has_no_channel_left(fake_twilio, commit):
    fake_twilio.for_number(PHONE, "error", 21211)
    asked = []

    def next_contact(request):
        asked.append(request)
        if 8 in request.tried_people:
            return None
        return registry.Destination(
            channel="sms", address=UNCLE, contact_point_id=80, recipient_person_id=8, language="es"
        )

    registry.register_contact_resolver(next_contact)
    first = commit(
        queue_sms,
        "pickup",
        template_key="case.pickup_request",
        context={"students": "Ana", "school": "Lincoln Elementary"},
        emergency=True,
        fallback="contact",
        fallback_context={"case_id": 3},
        reply_flow="reunify.pickup",
    )
    second = Message.objects.get(fallback_of=first)
    assert second.recipient_person_id == 8
    assert second.address == UNCLE
    assert second.emergency and second.reply_flow == "reunify.pickup"
    assert second.status == Message.Status.SENT
    assert asked[0].context == {"case_id": 3}
    assert "Lincoln Elementary" in fake_twilio.created()[0].form["Body"]
    assert fake_twilio.created()[0].form["To"] == UNCLE


def test_channel_fallback_does_not_jump_to_another_person(fake_twilio, commit):
    fake_twilio.for_number(PHONE, "error", 21211)
    registry.register_contact_resolver(
        lambda r: registry.Destination(channel="sms", address=UNCLE, recipient_person_id=8)
    )
    first = commit(queue_sms)
    assert not Message.objects.filter(fallback_of=first).exists()


def test_fallback_none_stops_after_the_failure(fake_twilio, commit, email_next):
    fake_twilio.for_number(PHONE, "error", 21211)
    commit(queue_sms, fallback="none")
    assert Message.objects.count() == 1
    assert email_next == []


def test_a_resolver_cannot_loop_back_to_a_tried_destination(fake_twilio, commit):
    fake_twilio.for_number(PHONE, "error", 21211)
    registry.register_channel_resolver(
        lambda r: registry.Destination(channel="sms", address=PHONE, contact_point_id=70)
    )
    commit(queue_sms)
    assert Message.objects.count() == 1


def test_transient_failures_exhausted_fall_back_without_marking_the_contact_point(
    fake_twilio, fake_smtp, commit, events, email_next
):
    from datetime import timedelta

    from alerts.services import messages_sweep

    fake_twilio.for_number(PHONE, "status", 500)
    first = commit(queue_sms)
    for _ in range(8):
        first.refresh_from_db()
        if first.status != Message.Status.QUEUED:
            break
        commit(messages_sweep, now=first.next_attempt_at + timedelta(seconds=1))
    first.refresh_from_db()
    assert first.error_code == ErrorCode.RETRIES_EXHAUSTED
    assert events == []
    assert Message.objects.get(fallback_of=first).channel == "email"
    assert len(fake_smtp.inbox) == 1


def test_reply_flow_is_registered_once(clean_registry):
    def handler(reply):
        return None

    registry.register_reply_handler("campaign.verify", handler)
    registry.register_reply_handler("campaign.verify", handler)
    with pytest.raises(ValueError, match="already"):
        registry.register_reply_handler("campaign.verify", lambda r: None)


@pytest.fixture
def exhausted(clean_registry):
    seen: list[registry.FallbackExhausted] = []
    registry.register_fallback_exhausted_listener("reunify.pickup", seen.append)
    return seen


def pickup(commit, key="pickup", **extra):
    kwargs = {
        "template_key": "case.pickup_request",
        "context": {"students": "Ana", "school": "Lincoln Elementary"},
        "emergency": True,
        "fallback": "contact",
        "fallback_context": {"outreach_id": 5},
        "reply_flow": "reunify.pickup",
        "cause_type": "reunify.case",
        "cause_id": 3,
    }
    return commit(queue_sms, key, **(kwargs | extra))


def test_the_flow_hears_when_the_chain_ran_out_after_the_last_fallback(
    fake_twilio, fake_smtp, commit, exhausted, email_next
):
    fake_twilio.for_number(PHONE, "error", 21211)
    fake_smtp.refuse[EMAIL] = "550 no such user"
    first = pickup(commit)
    last = Message.objects.get(fallback_of=first)
    assert (first.pk, last.channel, last.status) == (first.pk, "email", Message.Status.FAILED)
    [event] = exhausted
    assert event.message_id == last.pk
    assert event.flow == "reunify.pickup"
    assert event.reason == ErrorCode.BOUNCED
    assert (event.cause_type, event.cause_id) == ("reunify.case", 3)
    assert event.context == {"outreach_id": 5}
    assert event.recipient_person_id == 7


def test_exhaustion_is_told_only_after_the_failure_commits(
    fake_twilio, exhausted, django_capture_on_commit_callbacks
):
    from django.db import transaction
    from django.utils import timezone

    from alerts.services.delivery import Outcome, record_outcome
    from alerts.transports import TransportError

    fake_twilio.for_number(PHONE, "error", 21211)
    message = queue_sms(
        "pickup",
        template_key="case.pickup_request",
        context={"students": "Ana", "school": "Lincoln Elementary"},
        fallback="none",
        reply_flow="reunify.pickup",
    )
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENDING, claimed_at=timezone.now()
    )
    message.refresh_from_db()
    failure = Outcome(error=TransportError("bad", permanent=True, code=ErrorCode.INVALID_ADDRESS))
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        record_outcome(message, failure)
        raise RuntimeError("the recording transaction rolls back")
    assert exhausted == []
    with django_capture_on_commit_callbacks(execute=True):
        record_outcome(message, failure)
    assert [e.message_id for e in exhausted] == [message.pk]


def test_no_exhaustion_while_a_fallback_is_on_its_way(
    fake_twilio, fake_smtp, commit, exhausted, email_next
):
    fake_twilio.for_number(PHONE, "error", 21211)
    first = pickup(commit)
    assert Message.objects.get(fallback_of=first).status == Message.Status.SENT
    assert exhausted == []


def test_a_message_without_a_flow_tells_nobody(fake_twilio, commit, exhausted):
    fake_twilio.for_number(PHONE, "error", 21211)
    commit(queue_sms, fallback="none")
    assert exhausted == []


def test_fallbacks_inherit_the_cause(fake_twilio, fake_smtp, commit, email_next):
    fake_twilio.for_number(PHONE, "error", 21211)
    first = pickup(commit)
    second = Message.objects.get(fallback_of=first)
    assert (second.cause_type, second.cause_id) == ("reunify.case", 3)
