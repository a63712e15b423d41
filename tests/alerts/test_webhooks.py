"""Signed Twilio webhooks: delivery status, inbound STOP/START/HELP, and replies handed to the
flow that asked."""

import pytest

from alerts import registry
from alerts.models import ErrorCode, InboundMessage, Message, Suppression

from .helpers import EMAIL, PHONE, queue_sms

pytestmark = pytest.mark.django_db

INBOUND = "/alerts/twilio/inbound"
STATUS = "/alerts/twilio/status"
VOICE_STATUS = "/alerts/twilio/voice-status"


def inbound_form(body: str, sid: str = "SMin1") -> dict:
    return {"MessageSid": sid, "From": PHONE, "To": "+13125550100", "Body": body}


@pytest.fixture
def post(client, sign):
    def _post(path: str, form: dict, signed: bool = True):
        headers = sign(path, form) if signed else {}
        return client.post(path, form, **headers)

    return _post


@pytest.fixture
def replies(clean_registry):
    seen: list[registry.Reply] = []
    registry.register_reply_handler("reunify.pickup", seen.append)
    return seen


@pytest.fixture
def events(clean_registry):
    seen: list[registry.ContactPointEvent] = []
    registry.register_contact_point_listener(seen.append)
    return seen


def pickup_request(commit, key="pickup-1", **extra):
    return commit(
        queue_sms,
        key,
        template_key="case.pickup_request",
        context={"students": "Ana", "school": "Lincoln Elementary"},
        emergency=True,
        reply_flow="reunify.pickup",
        **extra,
    )


def test_unsigned_request_is_refused_and_logged_without_the_number(post, fake_twilio, caplog):
    response = post(INBOUND, inbound_form("STOP"), signed=False)
    assert response.status_code == 403
    assert not InboundMessage.objects.exists()
    assert "alerts webhook rejected: missing signature" in caplog.text
    assert "5550101" not in caplog.text


def test_badly_signed_request_is_refused(client, fake_twilio, caplog):
    form = inbound_form("STOP")
    response = client.post(INBOUND, form, HTTP_X_TWILIO_SIGNATURE="bm90IGEgc2lnbmF0dXJl")
    assert response.status_code == 403
    assert "bad signature" in caplog.text
    assert "5550101" not in caplog.text
    assert not Suppression.objects.exists()


def test_signature_over_other_params_is_refused(client, sign, fake_twilio):
    headers = sign(INBOUND, inbound_form("YES"))
    response = client.post(INBOUND, inbound_form("STOP"), **headers)
    assert response.status_code == 403


@pytest.mark.parametrize("word", ["YES", "yes", "Si", "SÍ", "CÓ", "có", "نعم", "1", "ok!"])
def test_yes_in_any_language_goes_to_the_flow_that_asked(post, fake_twilio, commit, replies, word):
    message = pickup_request(commit)
    response = post(INBOUND, inbound_form(word))
    assert response.status_code == 200
    [reply] = replies
    assert reply.affirmative and not reply.negative
    assert reply.message_id == message.pk
    assert (reply.recipient_person_id, reply.contact_point_id) == (7, 70)
    assert reply.flow == "reunify.pickup"
    assert InboundMessage.objects.get().outcome == InboundMessage.Outcome.ROUTED


def test_repeated_webhook_is_handled_once(post, fake_twilio, commit, replies):
    pickup_request(commit)
    post(INBOUND, inbound_form("YES"))
    post(INBOUND, inbound_form("YES"))
    assert len(replies) == 1
    assert InboundMessage.objects.count() == 1


def test_reply_goes_to_the_newest_message_with_a_flow(post, fake_twilio, commit, replies):
    pickup_request(commit, "first")
    second = pickup_request(commit, "second")
    commit(queue_sms, "code-after")  # no flow: does not take the reply
    post(INBOUND, inbound_form("no"))
    assert replies[0].message_id == second.pk
    assert replies[0].negative


def test_reply_without_a_waiting_flow_is_recorded_unrouted(post, fake_twilio, commit, replies):
    commit(queue_sms)
    post(INBOUND, inbound_form("who is this?"))
    assert replies == []
    assert InboundMessage.objects.get().outcome == InboundMessage.Outcome.UNROUTED


def test_stop_suppresses_the_number_and_tells_the_contact_point_owner(
    post, fake_twilio, fake_smtp, commit, events, django_capture_on_commit_callbacks
):
    commit(queue_sms, "before")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(INBOUND, inbound_form("Stop"))
    assert response.status_code == 200
    assert Suppression.objects.filter(address=PHONE).exists()
    assert [(e.status, e.contact_point_id, e.address) for e in events] == [("opted_out", 70, PHONE)]
    # The next SMS to that number is not sent; it falls back to the person's email.
    registry.register_channel_resolver(
        lambda r: (
            None
            if (71, "email") in r.tried
            else registry.Destination(channel="email", address=EMAIL, contact_point_id=71)
        )
    )
    after = commit(queue_sms, "after")
    after.refresh_from_db()
    assert (after.status, after.error_code) == (Message.Status.FAILED, ErrorCode.OPTED_OUT)
    assert len(fake_twilio.created()) == 1
    assert len(fake_smtp.inbox) == 1


@pytest.mark.parametrize("word", ["PARAR", "unsubscribe", "dừng"])
def test_stop_words_in_other_languages(post, fake_twilio, word):
    post(INBOUND, inbound_form(word))
    assert Suppression.objects.filter(address=PHONE).exists()


def test_start_lifts_the_opt_out(
    post, fake_twilio, commit, events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(INBOUND, inbound_form("STOP", "SM1"))
        post(INBOUND, inbound_form("START", "SM2"))
    assert not Suppression.objects.exists()
    assert [e.status for e in events] == ["opted_out", "opted_in"]
    assert commit(queue_sms).status == Message.Status.QUEUED  # as returned before delivery
    assert Message.objects.get().status == Message.Status.SENT


def test_help_answers_in_the_language_of_our_last_message(post, fake_twilio, commit):
    commit(queue_sms, language="es")
    response = post(INBOUND, inbound_form("AYUDA"))
    text = response.content.decode()
    assert response["Content-Type"] == "application/xml"
    assert "<Message>" in text
    assert "Responda STOP" in text
    assert not Suppression.objects.exists()


def test_delivered_status_callback_marks_delivered(post, fake_twilio, commit):
    message = commit(queue_sms)
    message.refresh_from_db()
    form = {"MessageSid": message.provider_id, "MessageStatus": "delivered", "To": PHONE}
    assert post(STATUS, form).status_code == 204
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert message.delivered_at is not None


def test_undelivered_callback_marks_invalid_and_falls_back(
    post, fake_twilio, fake_smtp, commit, events
):
    registry.register_channel_resolver(
        lambda r: (
            None
            if (71, "email") in r.tried
            else registry.Destination(channel="email", address=EMAIL, contact_point_id=71)
        )
    )
    message = commit(queue_sms)
    message.refresh_from_db()
    form = {"MessageSid": message.provider_id, "MessageStatus": "undelivered", "ErrorCode": "30005"}
    commit(post, STATUS, form)
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", ErrorCode.INVALID_ADDRESS)
    assert events[0].status == "invalid"
    assert Message.objects.get(fallback_of=message).status == Message.Status.SENT
    # A repeated callback changes nothing more.
    commit(post, STATUS, form)
    assert Message.objects.count() == 2


def test_voice_status_callback(post, fake_twilio, commit):
    message = commit(queue_sms, channel="voice")
    message.refresh_from_db()
    post(VOICE_STATUS, {"CallSid": message.provider_id, "CallStatus": "completed"})
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED


def test_unsigned_status_callback_changes_nothing(post, fake_twilio, commit):
    message = commit(queue_sms)
    message.refresh_from_db()
    form = {"MessageSid": message.provider_id, "MessageStatus": "delivered"}
    assert post(STATUS, form, signed=False).status_code == 403
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
