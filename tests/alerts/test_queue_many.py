"""messages_queue_many: a campaign's or a case's messages written in one go."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from alerts.models import Lane, Message
from alerts.services import OutgoingMessage, messages_queue_many

from .helpers import queue_sms

pytestmark = pytest.mark.django_db


def outgoing(n: int, **overrides) -> OutgoingMessage:
    kwargs = {
        "channel": "sms",
        "address": f"+1312555{n:04d}",
        "purpose": "campaign.verify",
        "template_key": "portal.code",
        "language": "es",
        "context": {"code": f"c{n}"},
        "idempotency_key": f"many-{n}",
        "recipient_person_id": n,
    }
    kwargs.update(overrides)
    return OutgoingMessage(**kwargs)


def test_many_messages_are_written_in_a_few_queries_and_sent_after_commit(fake_twilio, commit):
    items = [outgoing(n) for n in range(60)] + [outgoing(60, emergency=True)]
    with CaptureQueriesContext(connection) as queries:
        written = commit(messages_queue_many, messages=items)
    assert written == 61
    # Multi-row INSERTs, not one per row (SQLite caps the parameters of one statement).
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert 1 <= len(inserts) <= 15
    assert Message.objects.get(idempotency_key="many-60").lane == Lane.EMERGENCY
    assert Message.objects.get(idempotency_key="many-7").language == "es"
    # Embedded (eager): every message went out once, after the commit.
    assert len(fake_twilio.created()) == 61
    assert set(Message.objects.values_list("status", flat=True)) == {Message.Status.SENT}


def test_nothing_is_sent_while_the_callers_transaction_is_open(fake_twilio):
    with transaction.atomic():
        messages_queue_many(messages=[outgoing(1), outgoing(2, emergency=True)])
        assert Message.objects.count() == 2
        assert fake_twilio.created() == []


def test_existing_and_repeated_keys_are_written_once(fake_twilio, commit):
    commit(queue_sms, "many-1")
    written = commit(messages_queue_many, messages=[outgoing(1), outgoing(2), outgoing(2)])
    assert written == 1
    assert Message.objects.filter(idempotency_key__startswith="many-").count() == 2
    assert len(fake_twilio.created()) == 2  # queue_sms's message and many-2, once each


def test_one_invalid_message_writes_nothing(fake_twilio):
    with pytest.raises(ValueError):
        messages_queue_many(messages=[outgoing(1), outgoing(2, context={})])
    assert not Message.objects.exists()
