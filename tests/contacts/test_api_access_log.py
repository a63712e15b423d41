"""Every staff view of an adult's, a student's or a link's contact details is in the access log:
lists and retrieves, one entry per object shown, written in one insert per page, so the number
of queries of a list does not grow with its rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from privacy.models import AccessLogEntry
from tests.factories import EmailFactory, PersonFactory, StudentContactFactory, StudentFactory

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("students", "contacts.student.viewed", "contacts.student"),
    ("people", "contacts.person.viewed", "contacts.person"),
    ("contact-points", "contacts.contact_point.viewed", "contacts.contactpoint"),
    ("student-contacts", "contacts.student_contact.viewed", "contacts.studentcontact"),
]


def logged(user, action):
    return sorted(
        int(pk)
        for pk in AccessLogEntry.objects.filter(actor=user, action=action).values_list(
            "object_id", flat=True
        )
    )


@pytest.mark.parametrize("collection,action,object_type", ENDPOINTS)
def test_a_list_logs_each_object_shown_and_only_those(
    api_as, lincoln_staff, parent_of_three, collection, action, object_type
):
    api = api_as(lincoln_staff)
    rows = api.get(f"/api/v1/{collection}/?limit=2").json()["results"]
    assert len(rows) == 2
    assert logged(lincoln_staff, action) == sorted(row["id"] for row in rows)
    entry = AccessLogEntry.objects.filter(action=action).first()
    assert entry.object_type == object_type


@pytest.mark.parametrize("collection,action,object_type", ENDPOINTS)
def test_a_retrieve_logs_the_object(
    api_as, lincoln_staff, parent_of_three, collection, action, object_type
):
    api = api_as(lincoln_staff)
    first = api.get(f"/api/v1/{collection}/?limit=1").json()["results"][0]
    before = AccessLogEntry.objects.filter(action=action).count()
    assert api.get(f"/api/v1/{collection}/{first['id']}/").status_code == 200
    entries = AccessLogEntry.objects.filter(action=action).order_by("-id")
    assert entries.count() == before + 1
    assert (entries[0].object_type, entries[0].object_id) == (object_type, str(first["id"]))


def test_a_refused_retrieve_logs_nothing(api_as, washington_staff, lincoln):
    lincoln_only = StudentContactFactory(student=StudentFactory(school=lincoln))
    api = api_as(washington_staff)
    assert api.get(f"/api/v1/people/{lincoln_only.person_id}/").status_code == 404
    assert api.get(f"/api/v1/students/{lincoln_only.student_id}/").status_code == 404
    assert api.get(f"/api/v1/student-contacts/{lincoln_only.pk}/").status_code == 404
    assert not AccessLogEntry.objects.exists()


def _grow(lincoln, n: int) -> None:
    for _ in range(n):
        link = StudentContactFactory(student=StudentFactory(school=lincoln))
        EmailFactory(person=link.person)
        StudentContactFactory(student=link.student, person=PersonFactory(), relationship="father")


@pytest.mark.parametrize("collection,action,object_type", ENDPOINTS)
def test_list_queries_and_log_inserts_do_not_grow_with_rows(
    api_as, lincoln_staff, lincoln, collection, action, object_type
):
    api = api_as(lincoln_staff)

    def measure():
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(f"/api/v1/{collection}/")
            assert response.status_code == 200
        inserts = [
            q["sql"]
            for q in ctx.captured_queries
            if q["sql"].startswith("INSERT") and "privacy_accesslogentry" in q["sql"]
        ]
        return len(ctx.captured_queries), len(inserts), response.json()["count"]

    _grow(lincoln, 1)
    measure()  # warm up: the caller's roles are read once per user object
    few, few_inserts, few_rows = measure()
    _grow(lincoln, 8)
    many, many_inserts, many_rows = measure()
    assert many_rows > few_rows
    assert (many, many_inserts) == (few, few_inserts) == (many, 1)
