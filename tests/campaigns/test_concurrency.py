"""Two ticks at once (two beat processes by mistake) on PostgreSQL: each reminder is sent once.

Run with DATABASE_URL=postgres://... CELERY_BROKER_URL=redis://.../6 (skipped otherwise)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from alerts.models import Message
from contacts.campaigns import services
from contacts.campaigns.models import Campaign, Recipient, Reminder
from tests.alerts.workers import broker_url, purge, require_real_stack

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def no_worker_broker():
    """The broker is real but nobody consumes it here: what the services enqueue is dropped."""
    require_real_stack()
    purge(broker_url())
    yield
    purge(broker_url())


def run_at_once(count: int, fn) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # reported below, with the thread's traceback
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def test_four_ticks_at_once_send_every_reminder_exactly_once(
    no_worker_broker, make_campaign, district, settings
):
    assert connection.vendor == "postgresql"
    settings.CAMPAIGNS_CHUNK = 25
    district(120)
    campaign = make_campaign()
    services.campaign_launch(actor=campaign.created_by, campaign=campaign)
    services.campaign_fanout(campaign_id=campaign.pk)
    campaign = Campaign.objects.get(pk=campaign.pk)
    assert Recipient.objects.filter(campaign=campaign).count() == 120
    day3 = campaign.opens_at + timedelta(days=3, minutes=1)

    results = run_at_once(4, lambda: services.campaigns_tick(now=day3)["reminded"])

    assert sum(results) == 120
    assert Reminder.objects.filter(number=1).count() == 120
    reminders = Message.objects.filter(cause_id=campaign.pk, template_key="campaign.reminder")
    assert reminders.count() == 120
    assert reminders.values("recipient_person_id").distinct().count() == 120
    # And again, later the same day: nothing more.
    assert services.campaigns_tick(now=day3 + timedelta(hours=1))["reminded"] == 0


def test_two_fanouts_at_once_write_every_guardian_once(
    no_worker_broker, make_campaign, district, settings
):
    settings.CAMPAIGNS_CHUNK = 10
    district(60)
    campaign = make_campaign()
    services.campaign_launch(actor=campaign.created_by, campaign=campaign)
    run_at_once(2, lambda: services.campaign_fanout(campaign_id=campaign.pk))
    assert Recipient.objects.filter(campaign=campaign).count() == 60
    assert Message.objects.filter(cause_id=campaign.pk).count() == 60
    assert Campaign.objects.get(pk=campaign.pk).recipients_written == 60
