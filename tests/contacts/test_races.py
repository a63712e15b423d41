"""Two requests that add the same row at the same moment: the one that loses the race gets a
409 naming the field, never a 500. (PostgreSQL: a second connection holds the row uncommitted
while the service checks, then commits while the service inserts.)"""

import threading
import time

import psycopg
import pytest
from django.db import connection, connections

from contacts import services
from contacts.models import ContactPoint, Person
from privacy.errors import Conflict
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _race(sql: str, params: list, service):
    """Run `service` while another connection has inserted a conflicting row it has not yet
    committed; commit it once the service waits on it. Returns what the service raised."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks on a unique index")
    raised = []

    def call():
        try:
            service()
        except Exception as exc:  # noqa: BLE001 - handed to the test
            raised.append(exc)
        finally:
            connections.close_all()

    with psycopg.connect(**connection.get_connection_params()) as other:
        other.execute(sql, params)  # uncommitted: the service's check cannot see it
        worker = threading.Thread(target=call)
        worker.start()
        time.sleep(0.5)  # the service is now waiting on the unique index
        other.commit()
        worker.join(timeout=10)
    assert not worker.is_alive()
    return raised


def test_the_loser_of_a_race_to_add_the_same_phone_gets_a_conflict(db):
    person = PersonFactory()
    raised = _race(
        "INSERT INTO contacts_contactpoint (person_id, kind, value, label, sms_capable, status,"
        " last_failure, source, updated_at) VALUES (%s, 'phone', '+13125550177', 'mobile', true,"
        " 'unverified', '', 'staff', now())",
        [person.pk],
        lambda: services.contact_point_add(
            actor="test", person=person, kind="phone", value="312-555-0177"
        ),
    )
    assert len(raised) == 1 and isinstance(raised[0], Conflict)
    assert raised[0].field == "value" and raised[0].code == "duplicate"
    assert ContactPoint.objects.filter(person=person).count() == 1


def test_the_loser_of_a_race_to_add_the_same_sis_id_gets_a_conflict(db):
    raised = _race(
        "INSERT INTO contacts_person (first_name, last_name, preferred_language, sis_id,"
        " updated_at) VALUES ('A', 'B', 'en', 'SIS-77', now())",
        [],
        lambda: services.person_create(
            actor="test", first_name="Ann", last_name="Lee", sis_id="SIS-77"
        ),
    )
    assert len(raised) == 1 and isinstance(raised[0], Conflict)
    assert raised[0].field == "sis_id"
    assert Person.objects.filter(sis_id="SIS-77").count() == 1
