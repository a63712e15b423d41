"""messages_queue_many: a campaign's or a case's messages written in one go."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from alerts.models import Lane, Message
from alerts.services import OutgoingMessage, messages_queue_many, outbox

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


def test_a_long_list_is_handed_over_in_chunks_and_each_message_is_sent_once(fake_twilio, commit):
    """More than ENQUEUE_INLINE task messages (a school event's notices) reach the broker as a
    few chunk tasks on their own lanes; each chunk still gives every message its task."""
    count = outbox.ENQUEUE_INLINE + outbox.ENQUEUE_CHUNK + 7
    items = [outgoing(n, emergency=True) for n in range(count)]
    items += [outgoing(count + n, purpose="reunify.case") for n in range(3)]
    written = commit(messages_queue_many, messages=items)
    assert written == count + 3
    assert Message.objects.filter(lane=Lane.DEFAULT).count() == 3
    sent_to = [entry.form["To"] for entry in fake_twilio.created()]
    assert len(sent_to) == len(set(sent_to)) == count + 3
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


def test_each_message_keeps_its_cause(fake_twilio, commit):
    items = [outgoing(n, cause_type="campaigns.campaign", cause_id=4) for n in range(3)]
    commit(messages_queue_many, messages=items)
    assert set(Message.objects.values_list("cause_type", "cause_id")) == {("campaigns.campaign", 4)}


# --- the bulk path: called outside a transaction -------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_each_chunk_commits_and_is_sent_before_the_next_is_read(
    fake_twilio,
):
    sent_when_read: dict[str, int] = {}

    def watched():
        for n in range(25):
            sent_when_read[f"many-{n}"] = len(fake_twilio.created())
            yield outgoing(n)

    written = messages_queue_many(messages=watched(), chunk_size=10)
    assert written == 25
    # Embedded (eager): the first chunk of 10 went out before the 11th message was read.
    assert sent_when_read["many-10"] == 10
    assert sent_when_read["many-20"] == 20
    assert len(fake_twilio.created()) == 25


@pytest.mark.django_db(transaction=True)
def test_a_retry_after_a_crash_writes_only_the_rest(fake_twilio):
    class Crash(Exception):
        pass

    def crashing():
        for n in range(25):
            if n == 23:
                raise Crash
            yield outgoing(n)

    with pytest.raises(Crash):
        messages_queue_many(messages=crashing(), chunk_size=10)
    # Atomic per chunk: the two whole chunks are written (and sent), the third is not.
    assert Message.objects.count() == 20
    assert messages_queue_many(messages=[outgoing(n) for n in range(25)], chunk_size=10) == 5
    assert Message.objects.count() == 25
    assert len(fake_twilio.created()) == 25  # nobody got a message twice


@pytest.mark.django_db(transaction=True)
def test_an_invalid_message_stops_at_its_chunk(fake_twilio):
    items = [outgoing(n) for n in range(15)] + [outgoing(15, context={})]
    with pytest.raises(ValueError, match="missing"):
        messages_queue_many(messages=items, chunk_size=10)
    assert Message.objects.count() == 10


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_it_stays_one_transaction(fake_twilio):
    with pytest.raises(ValueError), transaction.atomic():
        messages_queue_many(
            messages=[outgoing(n) for n in range(15)] + [outgoing(15, context={})], chunk_size=10
        )
    assert not Message.objects.exists()
    with transaction.atomic():
        messages_queue_many(messages=[outgoing(n) for n in range(15)], chunk_size=10)
        assert fake_twilio.created() == []  # nothing enqueued before the caller commits
    assert len(fake_twilio.created()) == 15


def test_the_sole_writer_path_writes_the_same_rows_and_skips_keys_that_exist(fake_twilio, commit):
    """A caller that owns its keys (a campaign's fan-out) has its rows streamed with COPY on
    PostgreSQL: the rows are the same as the default path's, keys already written are still
    skipped, and the messages are sent after the commit."""
    commit(messages_queue_many, messages=[outgoing(1), outgoing(2)])
    default = {m.idempotency_key: m for m in Message.objects.all()}
    Message.objects.all().delete()
    commit(messages_queue_many, messages=[outgoing(1)], sole_writer=True)
    written = commit(messages_queue_many, messages=[outgoing(1), outgoing(2)], sole_writer=True)
    assert written == 1
    fields = ["channel", "address", "purpose", "language", "context", "subject", "body"]
    fields += ["lane", "status", "fallback", "fallback_context", "tried", "recipient_person_id"]
    for message in Message.objects.all():
        first = default[message.idempotency_key]
        assert [getattr(message, f) for f in fields] == [getattr(first, f) for f in fields]
        assert message.created_at is not None
    assert len(fake_twilio.created()) == 4


def test_a_sole_writer_that_meets_a_row_written_behind_its_back_writes_nothing():
    """COPY has no ON CONFLICT: a key someone else wrote after the check fails the whole
    transaction instead of being skipped, so nothing of it is kept."""
    from django.db import IntegrityError

    from config.bulk import bulk_insert

    queue_sms("taken")
    rows = outbox._build_all([outgoing(1), outgoing(2, idempotency_key="taken")])
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(Message, list(rows.values()))
    assert not Message.objects.filter(idempotency_key="many-1").exists()
