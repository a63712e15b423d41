"""Office staff add a new adult to one of their students in one call:
`POST /api/v1/student-contacts/` with `new_person` instead of `person`. One transaction, each
write audited; every bad input is a 400 naming the field, and nothing is written."""

import pytest

from contacts.models import ContactPoint, Person, StudentContact
from privacy.models import AuditEntry

pytestmark = pytest.mark.django_db


def rows():
    return (Person.objects.count(), ContactPoint.objects.count(), StudentContact.objects.count())


def new_aunt(student, **extra):
    return {
        "student": student.pk,
        "relationship": "aunt_uncle",
        "emergency_priority": 3,
        "pickup_status": "allowed",
        "new_person": {
            "first_name": "Rosa",
            "last_name": "Diaz",
            "preferred_language": "es",
            "contact_points": [
                {"kind": "phone", "value": "(312) 555-0177"},
                {"kind": "email", "value": "Rosa@Example.org"},
            ],
        },
        **extra,
    }


def test_school_staff_add_a_new_adult_with_phones_to_their_student(
    api_as, lincoln_staff, parent_of_three
):
    ana = parent_of_three.children[0]
    response = api_as(lincoln_staff).post("/api/v1/student-contacts/", new_aunt(ana), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["student"], body["relationship"], body["emergency_priority"]) == (
        ana.pk,
        "aunt_uncle",
        3,
    )
    person = Person.objects.get(pk=body["person"]["id"])
    assert (person.first_name, person.last_name, person.preferred_language) == (
        "Rosa",
        "Diaz",
        "es",
    )
    values = {p["value"]: p["sms_capable"] for p in body["person"]["contact_points"]}
    assert values == {"+13125550177": True, "rosa@example.org": False}
    actions = sorted(
        AuditEntry.objects.filter(actor=lincoln_staff).values_list("action", flat=True)
    )
    assert actions == [
        "contacts.contact_point.added",
        "contacts.contact_point.added",
        "contacts.person.created",
        "contacts.student_contact.added",
    ]
    # Now theirs to see and change like any adult of their students.
    api = api_as(lincoln_staff)
    assert api.get(f"/api/v1/people/{person.pk}/").status_code == 200


def test_staff_of_another_school_cannot_add_one(api_as, washington_staff, parent_of_three):
    before = rows()
    response = api_as(washington_staff).post(
        "/api/v1/student-contacts/", new_aunt(parent_of_three.children[0]), format="json"
    )
    assert response.status_code == 404
    assert rows() == before


@pytest.mark.parametrize(
    "change,field,says",
    [
        ({"person": "MARIA"}, "new_person", "not both"),
        ({"new_person": None}, "person", "give person"),
        ({"new_person": {"first_name": "Rosa", "last_name": "Diaz", "contact_points": [{"kind": "phone", "value": "555-12"}]}},
         "new_person.contact_points[0].value", "'555-12' is not a valid US phone number"),
        ({"new_person": {"first_name": "Rosa", "last_name": "Diaz", "contact_points": [{"kind": "email", "value": "a@example.org"}, {"kind": "email", "value": "nope"}]}},
         "new_person.contact_points[1].value", "not a valid email address"),
        ({"new_person": {"first_name": "Rosa", "last_name": "Diaz", "contact_points": [{"kind": "fax", "value": "1"}]}},
         "new_person.contact_points[0].kind", "not a valid choice"),
        ({"new_person": {"first_name": " ", "last_name": "Diaz"}}, "new_person.first_name", "may not be blank"),
        ({"new_person": {"last_name": "Diaz"}}, "new_person.first_name", "required"),
        ({"new_person": {"first_name": "Rosa", "last_name": "Diaz", "preferred_language": "1!"}},
         "new_person.preferred_language", "not a language tag"),
        ({"new_person": {"first_name": "Rosa", "last_name": "Diaz", "contact_points": [{"kind": "phone", "value": "3125550177"}, {"kind": "phone", "value": "(312) 555-0177"}]}},
         "new_person.contact_points[1].value", "already has that contact point"),
        ({"new_person": "Rosa Diaz"}, "new_person", ""),
        ({"relationship": "cousin"}, "relationship", "not a valid choice"),
        ({"emergency_priority": 1}, "emergency_priority", "already belongs to Maria"),
    ],
)  # fmt: skip
def test_every_bad_input_is_a_4xx_naming_the_field_and_writes_nothing(
    api_as, lincoln_staff, parent_of_three, change, field, says
):
    ana = parent_of_three.children[0]
    if change.get("person") == "MARIA":
        change = {"person": parent_of_three.guardian.pk}
    before = rows()
    audit = AuditEntry.objects.count()
    response = api_as(lincoln_staff).post(
        "/api/v1/student-contacts/", new_aunt(ana) | change, format="json"
    )
    assert response.status_code in (400, 409), response.json()
    body = response.json()
    named = body["extra"].get("field") or next(iter(body["extra"]["fields"]))
    assert named == field, body
    assert body["message"].startswith(f"{field}:"), body
    assert says in body["message"]
    assert rows() == before
    assert AuditEntry.objects.count() == audit


def test_an_existing_adult_is_still_linked_by_id(api_as, crisis_lead, parent_of_three):
    sofia = parent_of_three.children[2]
    maria = parent_of_three.guardian
    StudentContact.objects.filter(student=sofia, person=maria).delete()
    response = api_as(crisis_lead).post(
        "/api/v1/student-contacts/",
        {"student": sofia.pk, "person": maria.pk, "relationship": "mother"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["person"]["id"] == maria.pk
