"""Campaign fixtures: a campaign factory, a small district."""

from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.campaigns import services
from tests.factories import (
    EmailFactory,
    PersonFactory,
    PhoneFactory,
    StudentContactFactory,
    StudentFactory,
)


@pytest.fixture(autouse=True)
def send_window_all_day(settings):
    """Reminders may go at any hour the tests run; the quiet hours have tests of their own."""
    settings.CAMPAIGNS_SEND_WINDOW = ("00:00", "23:59")


@pytest.fixture
def make_campaign(data_team):
    def make(**overrides):
        now = timezone.now()
        arguments = {
            "actor": data_team,
            "name": "Fall verification",
            "scope": "district",
            "channels": ["sms", "email", "voice"],
            "opens_at": now - timedelta(minutes=1),
            "closes_at": now + timedelta(days=14),
            "reminder_days": [3, 7],
        }
        arguments.update(overrides)
        return services.campaign_create(**arguments)

    return make


@pytest.fixture
def landline_family(lincoln):
    """Grace Kim has only a landline (no SMS) and one child at Lincoln."""
    grace = PersonFactory(first_name="Grace", last_name="Kim", preferred_language="vi")
    PhoneFactory(person=grace, value="+13125550140", sms_capable=False, label="home")
    child = StudentFactory(first_name="Min", last_name="Kim", school=lincoln, grade="02")
    StudentContactFactory(student=child, person=grace, emergency_priority=1)
    return grace


@pytest.fixture
def district(lincoln, washington):
    """Make `n` families, each one guardian with a mobile and one child, alternating schools."""

    def make(n: int, *, start: int = 0):
        guardians = []
        for i in range(start, start + n):
            school = lincoln if i % 2 == 0 else washington
            person = PersonFactory(first_name=f"G{i}", last_name="Family")
            PhoneFactory(person=person, value=f"+1202555{i:04d}")
            if i % 5 == 0:
                EmailFactory(person=person, value=f"g{i}@example.org")
            child = StudentFactory(school=school, grade="03")
            StudentContactFactory(student=child, person=person, emergency_priority=1)
            guardians.append(person)
        return guardians

    return make


@pytest.fixture
def launch(data_team, django_capture_on_commit_callbacks):
    """Launch as the data team and run what the launch enqueues on commit (the fan-out and the
    deliveries, eagerly), as a committed request would."""

    def run(campaign, actor=None):
        with django_capture_on_commit_callbacks(execute=True):
            services.campaign_launch(actor=actor or data_team, campaign=campaign)
        campaign.refresh_from_db()
        return campaign

    return run
