"""The whole path on PostgreSQL, Redis, a real `celery worker` and the Twilio fake: the first
adult does not answer, after the wait the second gets the SMS, replies YES through the signed
inbound webhook and the task completes; the tick run twice at once sends nothing twice.

Run locally with:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/cases CELERY_BROKER_URL=redis://127.0.0.1:6379/5 \
  SECRET_KEY=dev HTTPS=0 pytest tests/reunify -m integration
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from twilio.request_validator import RequestValidator

from reunify.models import Outreach, Task
from reunify.services import case_open, outreach_tick
from tests.alerts.workers import TIMINGS, Worker, broker_url, purge, require_real_stack, worker_env
from tests.factories import PersonFactory, PhoneFactory, StudentContactFactory, StudentFactory
from tests.fakes.twilio import RemoteFakeTwilio

from .factories import CounselorProfileFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FIRST, SECOND = "+13125550161", "+13125550162"
INBOUND = "/alerts/twilio/inbound"


@pytest.fixture
def stack(settings):
    require_real_stack()
    fake = RemoteFakeTwilio()
    purge(broker_url())
    for name, value in TIMINGS.items():
        setattr(settings, name, float(value))
    settings.TWILIO_AUTH_TOKEN = fake.auth_token
    worker = Worker(worker_env(fake, broker_url())).start()
    yield fake
    worker.stop()
    fake.stop()
    purge(broker_url())


def _sent_to(fake, number: str, count: int, timeout: float = 45.0) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = fake.created("message", to=number)
        if len(found) >= count:
            return found
        time.sleep(0.5)
    pytest.fail(f"no SMS to the adult after {timeout}s")


def test_no_answer_then_second_adult_says_yes_through_the_webhook(stack, crisis_lead, client):
    fake = stack
    school = StudentFactory().school
    CounselorProfileFactory(schools=[school])
    mother = PersonFactory()
    first, second = PersonFactory(), PersonFactory()
    PhoneFactory(person=first, value=FIRST)
    PhoneFactory(person=second, value=SECOND)
    child = StudentFactory(school=school)
    StudentContactFactory(student=child, person=mother)
    for priority, adult in ((1, first), (2, second)):
        StudentContactFactory(
            student=child, person=adult, legal_guardian=False, emergency_priority=priority
        )
    case = case_open(actor=crisis_lead, guardian_ids=[mother.pk]).case
    _sent_to(fake, FIRST, 1)
    assert not fake.created("message", to=SECOND)

    later = timezone.now() + timedelta(minutes=16)
    calls = []

    def tick():
        try:
            calls.append(outreach_tick(now=later))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(c["no_answer"] for c in calls) == 1
    _sent_to(fake, SECOND, 1)

    form = {"MessageSid": "SMreply1", "From": SECOND, "To": "+13125550100", "Body": "YES"}
    signature = RequestValidator(fake.auth_token).compute_signature(
        f"http://testserver{INBOUND}", form
    )
    response = client.post(INBOUND, form, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 200
    assert case.outreach.get(person=second).status == Outreach.Status.COMING
    reach = Task.objects.get(case=case, kind=Task.Kind.REACH_ADULT)
    assert reach.status == Task.Status.DONE

    outreach_tick(now=later + timedelta(minutes=30))
    outreach_tick(now=later + timedelta(minutes=30))
    time.sleep(3)  # anything wrongly enqueued would reach the fake by now
    assert len(fake.created("message", to=FIRST)) == 1
    # The request and the confirmation, each once.
    assert len(_sent_to(fake, SECOND, 2)) == 2
    assert len(fake.created("message", to=SECOND)) == 2
