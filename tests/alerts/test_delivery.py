"""Outbox, claim, retry with backoff, terminal failure, and sending through the Twilio fake."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from alerts.models import ErrorCode, Lane, Message
from alerts.services import message_deliver, messages_sweep

from .helpers import PHONE, queue_sms

pytestmark = pytest.mark.django_db


def later(minutes: float = 60):
    return timezone.now() + timedelta(minutes=minutes)


def test_message_is_sent_once_after_commit(fake_twilio, commit):
    message = commit(queue_sms)
    message.refresh_from_db()
    created = fake_twilio.created("message")
    assert message.status == Message.Status.SENT
    assert len(created) == 1
    assert created[0].form["To"] == PHONE
    assert created[0].form["From"] == "+13125550100"
    assert "482913" in created[0].form["Body"]
    assert message.provider_id == created[0].sid
    assert message.attempts == 1


def test_nothing_is_sent_while_the_transaction_is_open(
    fake_twilio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = queue_sms()
    assert len(callbacks) == 1
    assert fake_twilio.requests() == []
    assert Message.objects.get(pk=message.pk).status == Message.Status.QUEUED


def test_rolled_back_change_sends_nothing(fake_twilio, commit):
    def change_that_fails():
        with transaction.atomic():
            queue_sms()
            raise RuntimeError("business change failed")

    with pytest.raises(RuntimeError):
        commit(change_that_fails)
    assert fake_twilio.requests() == []
    assert not Message.objects.exists()


def test_same_idempotency_key_sends_once(fake_twilio, commit):
    first = commit(queue_sms, "same")
    second = commit(queue_sms, "same", context={"code": "000000"})
    assert first.pk == second.pk
    assert len(fake_twilio.created()) == 1
    assert "482913" in Message.objects.get(pk=first.pk).body


def test_second_delivery_of_a_claimed_message_sends_nothing(fake_twilio, commit):
    message = commit(queue_sms)
    assert message_deliver(message_id=message.pk) == "not_claimed"
    assert len(fake_twilio.requests()) == 1


def test_lanes_follow_emergency_and_campaign_purpose(fake_twilio, commit):
    assert commit(queue_sms, "a", emergency=True).lane == Lane.EMERGENCY
    assert commit(queue_sms, "b", purpose="campaign.verify").lane == Lane.BULK
    assert commit(queue_sms, "c").lane == Lane.DEFAULT


def test_unknown_template_or_channel_is_refused(fake_twilio):
    with pytest.raises(ValueError, match="template"):
        queue_sms(template_key="nope")
    with pytest.raises(ValueError, match="channel"):
        queue_sms(channel="fax")


def test_provider_500_is_retried_later_and_then_sent_once(fake_twilio, commit):
    fake_twilio.then("status", 500)
    message = commit(queue_sms)
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert message.error_code == ErrorCode.PROVIDER_ERROR
    assert message.next_attempt_at > timezone.now()
    assert not message.in_doubt
    # Not due yet: the sweeper leaves it alone.
    commit(messages_sweep)
    assert Message.objects.get(pk=message.pk).status == Message.Status.QUEUED
    commit(messages_sweep, now=later())
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.attempts == 2
    assert len(fake_twilio.created()) == 1
    assert [e.status for e in fake_twilio.requests()] == [500, 201]


def test_429_is_retried_as_throttled(fake_twilio, commit):
    fake_twilio.then("throttle")
    message = commit(queue_sms)
    message.refresh_from_db()
    assert (message.status, message.error_code) == (Message.Status.QUEUED, ErrorCode.THROTTLED)


def test_timeout_after_acceptance_is_reconciled_not_resent(fake_twilio, commit):
    fake_twilio.then("timeout", 2.5)
    message = commit(queue_sms)
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert message.error_code == ErrorCode.TIMEOUT
    assert message.in_doubt
    commit(messages_sweep, now=later())
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert not message.in_doubt
    # One message at the provider: the retry asked (GET) instead of posting again.
    assert len(fake_twilio.created()) == 1
    assert len(fake_twilio.requests()) == 1
    assert message.provider_id == fake_twilio.created()[0].sid


def test_backoff_grows_and_ends_in_a_terminal_coded_failure(fake_twilio, commit):
    fake_twilio.then("status", 503, times=50)
    message = commit(queue_sms)
    delays = []
    for _ in range(10):
        message.refresh_from_db()
        if message.status != Message.Status.QUEUED:
            break
        delays.append((message.next_attempt_at - timezone.now()).total_seconds())
        commit(messages_sweep, now=message.next_attempt_at + timedelta(seconds=1))
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.error_code == ErrorCode.RETRIES_EXHAUSTED
    assert "provider_error" in message.error
    assert message.attempts == 6
    assert delays[2] > delays[0]
    assert len(fake_twilio.created()) == 0


def test_invalid_number_fails_permanently_without_retry(fake_twilio, commit):
    fake_twilio.for_number(PHONE, "error", 21211)
    message = commit(queue_sms)
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.error_code == ErrorCode.INVALID_ADDRESS
    commit(messages_sweep, now=later())
    assert len(fake_twilio.requests()) == 1


def test_stale_claim_of_a_killed_worker_is_reclaimed_and_reconciled(fake_twilio, commit, settings):
    """A worker sent the message and died before recording it: the sweeper reclaims the row
    and the provider's own record stops a second send."""
    settings.ALERTS_CLAIM_TIMEOUT = 30
    with transaction.atomic():
        message = queue_sms()  # never committed from our side, so no task ran
    from alerts.transports import get_transport

    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENDING,
        claimed_at=timezone.now() - timedelta(minutes=5),
        attempts=1,
    )
    message.refresh_from_db()
    get_transport("sms").send(message)  # what the dead worker did
    counts = commit(messages_sweep)
    assert counts["reclaimed"] == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert len(fake_twilio.created()) == 1


def test_attempt_long_before_the_reclaim_is_still_found_by_the_lookup(
    fake_twilio, commit, settings
):
    """Production timing: the claim timeout (120 s) and a sweep interval pass between the
    attempt that died with its worker and the next claim, so the provider must be asked about
    everything since the message was written, not about the last couple of minutes."""
    settings.ALERTS_CLAIM_TIMEOUT = 120
    with transaction.atomic():
        message = queue_sms()
    from alerts.transports import get_transport

    ten_minutes_ago = timezone.now() - timedelta(minutes=10)
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENDING,
        created_at=ten_minutes_ago,
        claimed_at=ten_minutes_ago,
        attempts=1,
    )
    message.refresh_from_db()
    get_transport("sms").send(message)  # what the dead worker did...
    fake_twilio.age(9 * 60)  # ...nine minutes ago
    assert commit(messages_sweep)["reclaimed"] == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert len(fake_twilio.created()) == 1
    assert message.provider_id == fake_twilio.created()[0].sid


def test_stale_claim_that_never_reached_the_provider_is_sent(fake_twilio, commit, settings):
    settings.ALERTS_CLAIM_TIMEOUT = 30
    with transaction.atomic():
        message = queue_sms()
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENDING, claimed_at=timezone.now() - timedelta(minutes=5)
    )
    commit(messages_sweep)
    assert Message.objects.get(pk=message.pk).status == Message.Status.SENT
    assert len(fake_twilio.created()) == 1


def test_lost_broker_message_is_enqueued_again_after_grace(fake_twilio, commit, settings):
    settings.ALERTS_SWEEP_GRACE = 60
    with transaction.atomic():
        message = queue_sms()  # its on_commit enqueue is "lost"
    assert commit(messages_sweep)["enqueued"] == 0  # within the grace period
    counts = commit(messages_sweep, now=timezone.now() + timedelta(seconds=61))
    assert counts["enqueued"] == 1
    assert Message.objects.get(pk=message.pk).status == Message.Status.SENT
    assert len(fake_twilio.created()) == 1


def test_campaign_messages_are_delivered_by_the_sweeper_embedded(fake_twilio, commit):
    messages = [
        commit(queue_sms, f"c{i}", purpose="campaign.verify", address=f"+1312555{i:04d}")
        for i in range(3)
    ]
    assert {Message.objects.get(pk=m.pk).status for m in messages} == {Message.Status.SENT}
    assert len(fake_twilio.created()) == 3


def test_voice_reads_the_message_in_the_recipients_language(fake_twilio, commit):
    message = commit(queue_sms, channel="voice", language="es-MX")
    message.refresh_from_db()
    call = fake_twilio.created("call")[0]
    assert message.status == Message.Status.SENT
    assert call.form["To"] == PHONE
    assert 'language="es-US"' in call.form["Twiml"]
    assert "<Say" in call.form["Twiml"]
    assert message.body.split(":")[0] in call.form["Twiml"]


def test_no_address_reaches_the_log(fake_twilio, commit, caplog):
    fake_twilio.for_number(PHONE, "error", 21211)
    caplog.set_level("DEBUG", logger="alerts")
    commit(queue_sms)
    text = caplog.text
    assert "alerts message failed" in text
    assert PHONE not in text and "5550101" not in text and "482913" not in text
