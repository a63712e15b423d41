"""A list takes only the query parameters it declares (config.api.ListFilters): an unknown one
is a 400 naming it, never ignored. `/students/?guardian=<id>` lists a guardian's children,
scoped as always. A query string naming what the district does not collect is refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contacts.models import Person, StudentContact
from tests.factories import StudentContactFactory, StudentFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/schools/",
    "/api/v1/students/",
    "/api/v1/people/",
    "/api/v1/contact-points/",
    "/api/v1/student-contacts/",
]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("param", ["person_id", "Limit", "school_code", "search", "ordering"])
def test_an_unknown_query_parameter_on_a_list_is_a_400_naming_it(
    api_as, data_team, parent_of_three, url, param
):
    response = api_as(data_team).get(f"{url}?{param}=5")
    assert response.status_code == 400, (url, param)
    body = response.json()
    assert body["code"] == "invalid"
    assert body["message"].startswith(f"{param}: is not a parameter of this list")
    assert param in body["extra"]["fields"]


def test_the_issue_s_example_is_refused(api_as, data_team, parent_of_three):
    """`/students/?person=5` answered every student, as if they were that adult's."""
    response = api_as(data_team).get("/api/v1/students/?person=5")
    assert response.status_code == 400
    assert "limit, offset, format, school, guardian" in response.json()["message"]


@pytest.mark.parametrize("url", LISTS)
def test_the_common_and_declared_parameters_are_still_taken(
    api_as, data_team, parent_of_three, url
):
    assert api_as(data_team).get(f"{url}?limit=2&offset=0&format=json").status_code == 200


def test_a_retrieve_is_not_a_list_and_ignores_its_query_string(api_as, data_team, parent_of_three):
    ana = parent_of_three.children[0]
    assert api_as(data_team).get(f"/api/v1/students/{ana.pk}/?person=5").status_code == 200


def test_a_guardian_s_children_are_listed(api_as, crisis_lead, parent_of_three):
    maria = parent_of_three.guardian
    StudentContactFactory(person=maria, relationship="aunt_uncle", legal_guardian=False)
    response = api_as(crisis_lead).get(f"/api/v1/students/?guardian={maria.pk}")
    assert response.status_code == 200
    ids = sorted(row["id"] for row in response.json()["results"])
    assert ids == sorted(child.pk for child in parent_of_three.children)


def test_a_guardian_s_children_are_scoped_to_what_the_caller_sees(
    api_as, lincoln_staff, parent_of_three
):
    """Sofia is at Washington: Lincoln's office sees Ana and Luis only."""
    maria = parent_of_three.guardian
    response = api_as(lincoln_staff).get(f"/api/v1/students/?guardian={maria.pk}")
    names = sorted(row["first_name"] for row in response.json()["results"])
    assert names == ["Ana", "Luis"]


def test_a_barred_parent_has_no_children_listed(api_as, crisis_lead, parent_of_three):
    jose = parent_of_three.other_guardian
    StudentContact.objects.filter(person=jose).update(
        pickup_status="prohibited", emergency_priority=None
    )
    response = api_as(crisis_lead).get(f"/api/v1/students/?guardian={jose.pk}")
    assert response.json()["count"] == 0


def test_a_bad_guardian_id_is_a_400(api_as, crisis_lead):
    body = api_as(crisis_lead).get("/api/v1/students/?guardian=x").json()
    assert body["message"].startswith("guardian:")


def test_an_empty_guardian_filter_lists_every_student(api_as, crisis_lead, parent_of_three):
    StudentFactory()
    assert api_as(crisis_lead).get("/api/v1/students/?guardian=").json()["count"] == 4


# --- what the district does not collect, outside the body -------------------------------------


@pytest.mark.parametrize(
    "method,url",
    [
        ("POST", "/api/v1/people/"),
        ("GET", "/api/v1/students/"),
        ("GET", "/api/v1/alerts/messages/"),
        ("POST", "/portal/api/review/1/"),
    ],
)
@pytest.mark.parametrize("key", ["ssn", "immigration_status", "countryOfBirth"])
def test_a_forbidden_key_in_the_query_string_is_refused(api_as, data_team, method, url, key):
    """`POST /api/v1/people/?ssn=…` was a 201."""
    api = api_as(data_team)
    response = api.generic(
        method,
        f"{url}?{key}=1",
        '{"first_name": "Rosa", "last_name": "Diaz"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["extra"]["field"]) == ("not_collected", key)
    assert "does not collect" in body["message"]
    assert not Person.objects.filter(first_name="Rosa").exists()


def test_a_forbidden_multipart_part_is_refused_a_file_part_too(api_as, data_team):
    api = api_as(data_team)
    for extra in ({"ssn": "1"}, {"ssn": SimpleUploadedFile("card.png", b"x")}):
        response = api.post(
            "/api/v1/people/",
            {"first_name": "Rosa", "last_name": "Diaz", **extra},
            format="multipart",
        )
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "not_collected"
        assert response.json()["extra"]["field"] == "ssn"
    assert not Person.objects.filter(first_name="Rosa").exists()
