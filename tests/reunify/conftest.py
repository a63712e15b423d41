"""The reunify personas: the Lopez family of the acceptance scenario, counselors at Lincoln and
Washington who speak different languages, and the crisis lead (tests/conftest.py)."""

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client

from contacts.models import StudentContact
from contacts.portal.models import PreparednessPlan
from tests.factories import (
    EmailFactory,
    PersonFactory,
    PhoneFactory,
    SchoolFactory,
    StudentContactFactory,
    StudentFactory,
)

from .factories import CounselorProfileFactory

Pickup = StudentContact.Pickup


@dataclass
class DetainedFamily:
    mother: object
    aunt: object
    uncle: object
    neighbour: object
    grandmother: object
    children: list


@pytest.fixture
def lopez_family(lincoln, washington):
    """Three children in two schools; their mother (Spanish) is detained. The aunt may pick up
    (emergency priority 2); the uncle is prohibited by a court order; the neighbour is an
    emergency contact (priority 1) but not a pickup adult; the grandmother may pick up but comes
    after the aunt (priority 3)."""
    lincoln.address = "100 Lincoln Way"
    lincoln.save()
    washington.address = "200 Washington Ave"
    washington.save()
    mother = PersonFactory(first_name="Maria", last_name="Lopez", preferred_language="es")
    PhoneFactory(person=mother, value="+13125550101")
    aunt = PersonFactory(first_name="Rosa", last_name="Diaz", preferred_language="es-MX")
    PhoneFactory(person=aunt, value="+13125550111")
    uncle = PersonFactory(first_name="Pedro", last_name="Lopez")
    PhoneFactory(person=uncle, value="+5215512345678")
    neighbour = PersonFactory(first_name="Nora", last_name="Next")
    PhoneFactory(person=neighbour, value="+13125550113")
    grandmother = PersonFactory(first_name="Carmen", last_name="Lopez", preferred_language="es")
    PhoneFactory(person=grandmother, value="+13125550114", sms_capable=False, label="home")
    EmailFactory(person=grandmother, value="carmen@example.org")
    children = [
        StudentFactory(first_name="Ana", last_name="Lopez", school=lincoln, grade="02"),
        StudentFactory(first_name="Luis", last_name="Lopez", school=lincoln, grade="04"),
        StudentFactory(first_name="Sofia", last_name="Lopez", school=washington, grade="07"),
    ]
    for child in children:
        StudentContactFactory(student=child, person=mother, emergency_priority=None)
        StudentContactFactory(
            student=child,
            person=neighbour,
            relationship="neighbor",
            legal_guardian=False,
            lives_with=False,
            emergency_priority=1,
            pickup_status=Pickup.NOT_ALLOWED,
        )
        StudentContactFactory(
            student=child,
            person=aunt,
            relationship="aunt_uncle",
            legal_guardian=False,
            lives_with=False,
            emergency_priority=2,
            pickup_status=Pickup.ALLOWED,
        )
        StudentContactFactory(
            student=child,
            person=uncle,
            relationship="aunt_uncle",
            legal_guardian=False,
            lives_with=False,
            emergency_priority=None,
            pickup_status=Pickup.PROHIBITED,
        )
        StudentContactFactory(
            student=child,
            person=grandmother,
            relationship="grandparent",
            legal_guardian=False,
            lives_with=False,
            emergency_priority=3,
            pickup_status=Pickup.ALLOWED,
        )
    return DetainedFamily(mother, aunt, uncle, neighbour, grandmother, children)


@pytest.fixture
def counselors(lincoln, washington):
    """Two on-duty counselors at Lincoln (English only; English and Spanish) and one at
    Washington who speaks Vietnamese."""
    return {
        "lincoln_en": CounselorProfileFactory(
            user__username="c.lin.en", languages=["en"], schools=[lincoln]
        ),
        "lincoln_es": CounselorProfileFactory(
            user__username="c.lin.es", languages=["en", "es-MX"], schools=[lincoln]
        ),
        "washington_vi": CounselorProfileFactory(
            user__username="c.was.vi", languages=["vi"], schools=[washington]
        ),
    }


@pytest.fixture
def standby_plan(lopez_family):
    """The mother's preparedness plan names the grandmother as standby caregiver."""
    return PreparednessPlan.objects.create(
        guardian=lopez_family.mother, standby_caregiver=lopez_family.grandmother
    )


@pytest.fixture
def client_for():
    """A test client signed in as `user`, in `language` (the staff pages' language cookie)."""

    def _client(user, language: str = "en") -> Client:
        client = Client()
        client.force_login(type(user).objects.get(pk=user.pk))
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        return client

    return _client


@pytest.fixture
def high_school(db):
    return SchoolFactory(code="RHS", name="Riverside High School", address="1 River Rd")


@pytest.fixture
def event_family(high_school):
    """A Vietnamese-speaking mother of an 11th grader and a 9th grader at the high school, and
    a Spanish-speaking father of a 10th grader."""
    mother = PersonFactory(first_name="Lan", last_name="Nguyen", preferred_language="vi")
    PhoneFactory(person=mother, value="+13125550131")
    father = PersonFactory(first_name="Jorge", last_name="Ruiz", preferred_language="es")
    PhoneFactory(person=father, value="+13125550132")
    older = StudentFactory(first_name="Minh", last_name="Nguyen", school=high_school, grade="11")
    younger = StudentFactory(first_name="Hoa", last_name="Nguyen", school=high_school, grade="09")
    other = StudentFactory(first_name="Diego", last_name="Ruiz", school=high_school, grade="10")
    StudentFactory(first_name="Gone", last_name="Away", school=high_school, active=False)
    for child in (older, younger):
        StudentContactFactory(student=child, person=mother, emergency_priority=1)
    StudentContactFactory(student=other, person=father, relationship="father", emergency_priority=1)
    return {"mother": mother, "father": father, "older": older, "younger": younger, "other": other}
