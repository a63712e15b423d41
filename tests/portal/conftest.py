"""Portal fixtures: signing a guardian in, and reading codes from the outbox."""

import re

import pytest
from django.conf import settings
from django.test import Client, TestCase
from django.urls import reverse

from alerts.models import Message
from contacts.models import StudentContact
from contacts.portal import services
from contacts.portal.access import COOKIE_NAME
from contacts.portal.services import portal_session_start
from tests.factories import PersonFactory, PhoneFactory, StudentContactFactory

# Fixed windows restart at multiples of their length: one this long (about 31 years) has no
# boundary for a test run to straddle, so a count never resets halfway through a test.
NO_BOUNDARY = 10**9

CODE = re.compile(r"\b(\d{6})\b")


def code_from_outbox(address: str) -> str:
    """The code in the newest message sent to `address` (what the guardian reads on the phone)."""
    message = Message.objects.filter(address=address).order_by("-id").first()
    assert message is not None, "no message was sent to that address"
    return CODE.search(message.body).group(1)


def request_code(client: Client, identifier: str, **extra):
    """POST the sign-in form as a real request does: what it queued on commit (the task that
    sends the code) runs when the request is over. The test's own transaction would otherwise
    hold it back until the test ends."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("portal:sign_in"), {"identifier": identifier}, **extra)


def sign_in_client(client: Client, person, language: str = "en") -> Client:
    _session, key = portal_session_start(person=person, via="test")
    client.cookies[COOKIE_NAME] = key
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.fixture
def maria_client(client, parent_of_three):
    """Maria Lopez signed in, reading the portal in English."""
    return sign_in_client(client, parent_of_three.guardian)


@pytest.fixture
def as_guardian(db):
    def _as(person, language="en"):
        return sign_in_client(Client(), person, language)

    return _as


@pytest.fixture
def carmen(parent_of_three):
    """Ana's grandmother Carmen Ruiz, third in her call order, not allowed to pick her up."""
    grandma = PersonFactory(first_name="Carmen", last_name="Ruiz")
    PhoneFactory(person=grandma, value="+13125550166")
    return StudentContactFactory(
        student=parent_of_three.children[0],
        person=grandma,
        relationship="grandparent",
        legal_guardian=False,
        emergency_priority=3,
        pickup_status="not_allowed",
    )


@pytest.fixture
def pending(parent_of_three):
    """Rosa added by Maria as a pickup adult for all three children (two at Lincoln)."""
    services.portal_contact_add(
        guardian=parent_of_three.guardian,
        students=parent_of_three.children,
        first_name="Rosa",
        last_name="Diaz",
        relationship="grandparent",
        phone="312-555-0144",
        pickup=True,
    )
    return StudentContact.objects.filter(person__first_name="Rosa").order_by("id")
