"""A campaign end to end on PostgreSQL + Redis + a real Celery worker + the Twilio fake.

Guardians reply YES through the signed inbound webhook, confirm through their link, or text STOP;
`tick` runs across simulated days; reminders, closing and the call list must be exactly right,
and the fake's ledger must hold each message once. CAMPAIGNS_IT_GUARDIANS sets the size
(default 300; the issue's 5,000 works too, slowly on a 2-core machine).

  TEST_DATABASE_NAME=test_campaigns DATABASE_URL=postgres://postgres@127.0.0.1:5432/campaigns \
  SECRET_KEY=x HTTPS=0 CELERY_BROKER_URL=redis://127.0.0.1:6379/6 \
  pytest tests/campaigns/test_integration.py -m integration
"""

import os
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from alerts.models import Message
from contacts.campaigns import services
from contacts.campaigns.models import Campaign, Recipient
from contacts.models import ContactPoint, Person, School, Student, StudentContact
from tests.alerts.workers import TIMINGS, Worker, broker_url, purge, require_real_stack, worker_env
from tests.fakes.twilio import RemoteFakeTwilio

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
COUNT = int(os.environ.get("CAMPAIGNS_IT_GUARDIANS", "300"))
INBOUND = "/alerts/twilio/inbound"


@pytest.fixture
def twilio(settings):
    require_real_stack()
    fake = RemoteFakeTwilio()
    settings.TWILIO_AUTH_TOKEN = fake.auth_token
    for name, value in TIMINGS.items():
        setattr(settings, name, float(value))
    yield fake
    fake.stop()


@pytest.fixture
def worker(twilio):
    purge(broker_url())
    running = Worker(worker_env(twilio, broker_url()), concurrency=2).start()
    yield running
    running.stop()
    purge(broker_url())


def build_district(count: int) -> list[Person]:
    """`count` guardians, each with a mobile and one child at one of two schools (bulk rows)."""
    schools = [
        School.objects.create(code="IT-A", name="Adams Elementary"),
        School.objects.create(code="IT-B", name="Baker Middle School"),
    ]
    people = Person.objects.bulk_create(
        [Person(first_name=f"G{i}", last_name="Family") for i in range(count)]
    )
    ContactPoint.objects.bulk_create(
        [
            ContactPoint(
                person=p, kind="phone", value=f"+1202555{i:04d}", sms_capable=True, label="mobile"
            )
            for i, p in enumerate(people)
        ]
    )
    students = Student.objects.bulk_create(
        [
            Student(sis_id=f"IT{i:05d}", first_name="C", last_name=f"{i}", school=schools[i % 2])
            for i in range(count)
        ]
    )
    StudentContact.objects.bulk_create(
        [
            StudentContact(
                student=s,
                person=p,
                relationship="mother",
                legal_guardian=True,
                lives_with=True,
                pickup_status="allowed",
                emergency_priority=1,
            )
            for s, p in zip(students, people, strict=True)
        ]
    )
    return people


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    states = Counter(Message.objects.values_list("template_key", "status"))
    campaigns = list(Campaign.objects.values_list("status", "recipients_written"))
    raise AssertionError(f"timed out waiting for {what}: {states} {campaigns}")


def sent(campaign: Campaign, template: str) -> int:
    return Message.objects.filter(
        cause_id=campaign.pk, template_key=template, status__in=["sent", "delivered"]
    ).count()


def inbound(client: Client, token: str, sid: str, sender: str, body: str) -> None:
    form = {"MessageSid": sid, "From": sender, "To": "+13125550100", "Body": body}
    signature = RequestValidator(token).compute_signature(f"http://testserver{INBOUND}", form)
    response = client.post(INBOUND, form, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 200


def test_campaign_end_to_end(worker, twilio, data_team, settings):
    settings.CAMPAIGNS_SEND_WINDOW = ("00:00", "23:59")
    people = build_district(COUNT)
    campaign = services.campaign_create(
        actor=data_team,
        name="Integration",
        scope="district",
        channels=["sms"],
        opens_at=timezone.now() - timedelta(minutes=1),
        closes_at=timezone.now() + timedelta(days=10),
        reminder_days=[3, 7],
    )
    services.campaign_launch(actor=data_team, campaign=campaign)  # the worker fans out
    wait_until(lambda: sent(campaign, "campaign.verify") == COUNT, 300, "first messages sent")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING

    # A tenth reply YES, a tenth confirm through their link, a tenth text STOP.
    tenth = COUNT // 10
    yes, by_link, stop = people[:tenth], people[tenth : 2 * tenth], people[2 * tenth : 3 * tenth]
    webhook = Client()
    for i, person in enumerate(yes):
        inbound(
            webhook, twilio.auth_token, f"SMyes{i}", f"+1202555{people.index(person):04d}", "YES"
        )
    for i, person in enumerate(stop):
        inbound(
            webhook, twilio.auth_token, f"SMstop{i}", f"+1202555{people.index(person):04d}", "STOP"
        )
    for person in by_link:
        body = Message.objects.get(cause_id=campaign.pk, recipient_person_id=person.pk).body
        token = body.split("/portal/link/")[1].split("/")[0]
        browser = Client()
        assert browser.post(reverse("portal:link", args=[token])).status_code == 302
        assert browser.post(reverse("portal:confirm")).status_code == 302

    opens = campaign.opens_at
    services.campaigns_tick(now=opens + timedelta(days=3, minutes=1))
    pending = COUNT - 2 * tenth  # the STOPped are still pending, but cannot be texted
    assert Recipient.objects.filter(campaign=campaign, responded_at__isnull=True).count() == pending
    reachable = pending - tenth
    wait_until(lambda: sent(campaign, "campaign.reminder") == reachable, 300, "reminder 1")
    services.campaigns_tick(now=opens + timedelta(days=7, minutes=1))
    wait_until(lambda: sent(campaign, "campaign.reminder") == 2 * reachable, 300, "reminder 2")
    # A second tick the same day, and the call list is exactly the silent.
    services.campaigns_tick(now=opens + timedelta(days=7, hours=2))
    listed = set(
        Recipient.objects.filter(campaign=campaign, call_listed_at__isnull=False).values_list(
            "person_id", flat=True
        )
    )
    assert listed == {p.pk for p in people[2 * tenth :]}
    services.campaigns_tick(now=campaign.closes_at + timedelta(minutes=1))
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.CLOSED

    time.sleep(2)  # let any stray duplicate reach the fake before counting
    ledger = twilio.created("message")
    per_body = Counter((entry.form["To"], entry.form["Body"]) for entry in ledger)
    assert max(per_body.values()) == 1
    assert len(ledger) == COUNT + 2 * reachable
    stopped = {f"+1202555{people.index(p):04d}" for p in stop}
    assert not [e for e in ledger if e.form["To"] in stopped and "reminder" in e.form["Body"]]
