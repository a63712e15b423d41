"""The contacts API: scoping (404, never 403, for what the caller may not see), writes through
services with an audit entry, and clear 400s that name the field."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.models import ContactPoint, StudentContact
from privacy.models import AccessLogEntry, AuditEntry
from tests.factories import PersonFactory, StudentContactFactory, StudentFactory

pytestmark = pytest.mark.django_db


def test_anonymous_caller_is_refused(api, parent_of_three):
    assert api.get("/api/v1/students/").status_code == 401


def test_school_staff_sees_only_their_school(api_as, lincoln_staff, parent_of_three):
    response = api_as(lincoln_staff).get("/api/v1/students/")
    assert response.status_code == 200
    names = sorted(row["first_name"] for row in response.json()["results"])
    assert names == ["Ana", "Luis"]


def test_student_of_another_school_is_404_not_403(api_as, washington_staff, parent_of_three):
    ana = parent_of_three.children[0]
    response = api_as(washington_staff).get(f"/api/v1/students/{ana.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    # The same answer as an id that does not exist at all.
    assert api_as(washington_staff).get("/api/v1/students/999999/").status_code == 404


def test_district_wide_role_sees_every_school(api_as, crisis_lead, parent_of_three):
    response = api_as(crisis_lead).get("/api/v1/students/")
    assert response.json()["count"] == 3


def test_student_detail_lists_contacts_in_priority_order_and_logs_the_view(
    api_as, lincoln_staff, parent_of_three
):
    ana = parent_of_three.children[0]
    response = api_as(lincoln_staff).get(f"/api/v1/students/{ana.pk}/")
    assert response.status_code == 200
    contacts = response.json()["contacts"]
    assert [c["person"]["first_name"] for c in contacts] == ["Maria", "Jose"]
    values = {p["value"] for p in contacts[0]["person"]["contact_points"]}
    assert values == {"+13125550101", "maria.lopez@example.org"}
    assert AccessLogEntry.objects.filter(
        actor=lincoln_staff, action="contacts.student.viewed", object_id=str(ana.pk)
    ).exists()


def test_student_list_query_count_does_not_grow_with_students(api_as, crisis_lead, lincoln):
    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert api_as(crisis_lead).get("/api/v1/students/").status_code == 200
        return len(ctx.captured_queries)

    StudentContactFactory(student=StudentFactory(school=lincoln))
    count_queries()  # warm up: the caller's roles are read once per user object
    few = count_queries()
    for _ in range(10):
        link = StudentContactFactory(student=StudentFactory(school=lincoln))
        StudentContactFactory(student=link.student, person=PersonFactory(), relationship="father")
    assert count_queries() == few


def test_bad_phone_is_a_400_naming_the_field(api_as, lincoln_staff, parent_of_three):
    maria = parent_of_three.guardian
    response = api_as(lincoln_staff).post(
        "/api/v1/contact-points/",
        {"person": maria.pk, "kind": "phone", "value": "555-12"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_phone"
    assert body["extra"]["field"] == "value"
    assert "'555-12' is not a valid US phone number" in body["message"]
    assert ContactPoint.objects.filter(person=maria).count() == 2


def test_missing_field_is_a_400_naming_it(api_as, lincoln_staff, parent_of_three):
    response = api_as(lincoln_staff).post(
        "/api/v1/contact-points/",
        {"person": parent_of_three.guardian.pk, "kind": "phone"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("value:")
    assert "value" in response.json()["extra"]["fields"]


def test_malformed_json_is_a_400(api_as, lincoln_staff):
    response = api_as(lincoln_staff).generic(
        "POST", "/api/v1/contact-points/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_payload_with_forbidden_key_is_refused_and_names_it(api_as, lincoln_staff, parent_of_three):
    response = api_as(lincoln_staff).post(
        "/api/v1/contact-points/",
        {
            "person": parent_of_three.guardian.pk,
            "kind": "phone",
            "value": "312-555-0199",
            "immigration_status": "x",
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "not_collected"
    assert "'immigration_status'" in body["message"]
    assert "does not collect" in body["message"]
    assert not ContactPoint.objects.filter(value="+13125550199").exists()


def test_forbidden_key_in_a_form_post_is_refused(api_as, lincoln_staff, parent_of_three):
    response = api_as(lincoln_staff).post(
        "/api/v1/contact-points/",
        {"person": parent_of_three.guardian.pk, "kind": "phone", "value": "3125550199", "SSN": "1"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_collected"


def test_adding_a_phone_writes_e164_and_an_audit_entry(api_as, lincoln_staff, parent_of_three):
    maria = parent_of_three.guardian
    response = api_as(lincoln_staff).post(
        "/api/v1/contact-points/",
        {"person": maria.pk, "kind": "phone", "value": "(312) 555-0142", "label": "work"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["value"] == "+13125550142"
    assert response.json()["sms_capable"] is False
    entry = AuditEntry.objects.get(action="contacts.contact_point.added")
    assert entry.actor == lincoln_staff
    assert entry.after["value"] == "+13125550142"


def test_international_number_is_kept(api_as, crisis_lead, parent_of_three):
    response = api_as(crisis_lead).post(
        "/api/v1/contact-points/",
        {"person": parent_of_three.guardian.pk, "kind": "phone", "value": "+52 55 1234 5678"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["value"] == "+525512345678"


def test_staff_cannot_reach_an_adult_of_another_school(api_as, washington_staff, lincoln):
    only_lincoln = StudentContactFactory(student=StudentFactory(school=lincoln))
    response = api_as(washington_staff).patch(
        f"/api/v1/people/{only_lincoln.person.pk}/", {"first_name": "X"}, format="json"
    )
    assert response.status_code == 404
    response = api_as(washington_staff).post(
        "/api/v1/contact-points/",
        {"person": only_lincoln.person.pk, "kind": "email", "value": "a@example.org"},
        format="json",
    )
    assert response.status_code == 404


def test_priority_clash_is_a_409_naming_the_field(api_as, lincoln_staff, parent_of_three):
    ana = parent_of_three.children[0]
    aunt = PersonFactory(first_name="Rosa")
    StudentContactFactory(student=ana, person=aunt, relationship="aunt_uncle", legal_guardian=False)
    response = api_as(lincoln_staff).post(
        "/api/v1/student-contacts/",
        {
            "student": ana.pk,
            "person": PersonFactory().pk,
            "relationship": "friend",
            "emergency_priority": 1,
        },
        format="json",
    )
    # The new adult is not linked to a visible student yet, so staff cannot name them: 404.
    assert response.status_code == 404
    link = StudentContact.objects.get(student=ana, person=aunt)
    response = api_as(lincoln_staff).patch(
        f"/api/v1/student-contacts/{link.pk}/", {"emergency_priority": 1}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "priority_taken"
    assert response.json()["extra"]["field"] == "emergency_priority"
    assert "Maria" in response.json()["message"]


def test_prohibited_adult_cannot_be_an_emergency_contact(api_as, lincoln_staff, parent_of_three):
    link = parent_of_three.links[1]  # Jose for Ana, priority 2
    response = api_as(lincoln_staff).patch(
        f"/api/v1/student-contacts/{link.pk}/", {"pickup_status": "prohibited"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "prohibited_emergency_contact"
    response = api_as(lincoln_staff).patch(
        f"/api/v1/student-contacts/{link.pk}/",
        {"pickup_status": "prohibited", "emergency_priority": None},
        format="json",
    )
    assert response.status_code == 200
    assert (
        AuditEntry.objects.filter(action="contacts.student_contact.pickup_prohibited").count() == 1
    )


def test_counselor_without_a_case_sees_nothing(api_as, counselor_at_lincoln, parent_of_three):
    ana = parent_of_three.children[0]
    assert api_as(counselor_at_lincoln).get("/api/v1/students/").json()["count"] == 0
    assert api_as(counselor_at_lincoln).get(f"/api/v1/students/{ana.pk}/").status_code == 404


def test_openapi_schema_and_docs_are_served(api_as, crisis_lead, client):
    response = api_as(crisis_lead).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/students/" in response.content
    client.force_login(crisis_lead)
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
