"""One permission layer (contacts/access.py over contacts/selectors.py): what a role may not
see is a 404; what it may see but not change is a 403; no write service runs for a staff user
without the check; another app's scope widens students, adults, contact points and links at
once; a missing or wrong credential is a 401 with `WWW-Authenticate: Token`."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from rest_framework.authtoken.models import Token

from contacts import selectors, services
from contacts.models import Student
from privacy.models import AuditEntry
from privacy.roles import Role
from tests.factories import PersonFactory, StudentContactFactory, StudentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def counselor_sees_ana(monkeypatch, counselor_at_lincoln, parent_of_three):
    """What reunify does for a counselor assigned to a case: a scope registered through the
    extension point (`register_student_scope`); the registration ends with the test."""
    monkeypatch.setattr(selectors, "_student_scopes", list(selectors._student_scopes))
    ana = parent_of_three.children[0]

    def assigned_cases(actor):
        if actor.pk != counselor_at_lincoln.pk:
            return None
        return Student.objects.filter(pk=ana.pk).values("pk")

    selectors.register_student_scope(assigned_cases)
    return counselor_at_lincoln


@pytest.fixture
def legal_officer(db):
    return UserFactory(username="legal.officer", roles=[Role.LEGAL])


@pytest.fixture
def no_role(db):
    return UserFactory(username="no.role")


def test_a_scope_widens_students_adults_points_and_links_together(
    api_as, counselor_sees_ana, parent_of_three
):
    api = api_as(counselor_sees_ana)
    ana, luis = parent_of_three.children[:2]
    maria = parent_of_three.guardian
    assert [row["id"] for row in api.get("/api/v1/students/").json()["results"]] == [ana.pk]
    people = {row["id"] for row in api.get("/api/v1/people/").json()["results"]}
    assert people == {maria.pk, parent_of_three.other_guardian.pk}
    points = {row["person"] for row in api.get("/api/v1/contact-points/").json()["results"]}
    assert points == people
    links = api.get("/api/v1/student-contacts/").json()["results"]
    assert {row["student"] for row in links} == {ana.pk}
    assert api.get(f"/api/v1/students/{luis.pk}/").status_code == 404


def test_a_role_that_sees_but_may_not_change_gets_403_and_nothing_changes(
    api_as, counselor_sees_ana, parent_of_three
):
    api = api_as(counselor_sees_ana)
    ana = parent_of_three.children[0]
    maria = parent_of_three.guardian
    point = maria.contact_points.get(kind="phone")
    link = parent_of_three.links[0]
    for method, url, body in (
        ("PATCH", f"/api/v1/people/{maria.pk}/", {"first_name": "X"}),
        ("POST", "/api/v1/contact-points/", {"person": maria.pk, "kind": "email", "value": "x@example.org"}),
        ("PATCH", f"/api/v1/contact-points/{point.pk}/", {"label": "home"}),
        ("DELETE", f"/api/v1/contact-points/{point.pk}/", None),
        ("POST", "/api/v1/student-contacts/", {"student": ana.pk, "new_person": {"first_name": "A", "last_name": "B"}, "relationship": "friend"}),
        ("PATCH", f"/api/v1/student-contacts/{link.pk}/", {"lives_with": False}),
        ("DELETE", f"/api/v1/student-contacts/{link.pk}/", None),
        ("POST", "/api/v1/people/", {"first_name": "A", "last_name": "B"}),
    ):  # fmt: skip
        response = api.generic(method, url, _json(body), content_type="application/json")
        assert response.status_code == 403, (method, url, response.content)
        assert response.json()["code"] == "permission_denied"
    assert not AuditEntry.objects.exists()


def test_a_role_that_does_not_see_gets_404_even_where_it_could_not_change(
    api_as, counselor_sees_ana, parent_of_three
):
    """Luis is not in the counselor's case: a change to his link is a 404, never a 403."""
    luis_link = parent_of_three.links[2]
    response = api_as(counselor_sees_ana).patch(
        f"/api/v1/student-contacts/{luis_link.pk}/", {"lives_with": False}, format="json"
    )
    assert response.status_code == 404


def test_a_legal_officer_sees_no_contacts(api_as, legal_officer, parent_of_three):
    api = api_as(legal_officer)
    for collection in ("students", "people", "contact-points", "student-contacts"):
        assert api.get(f"/api/v1/{collection}/").json()["count"] == 0
    assert api.get(f"/api/v1/people/{parent_of_three.guardian.pk}/").status_code == 404


def test_a_user_with_no_role_gets_403_on_collections_and_404_on_objects(
    api_as, no_role, parent_of_three
):
    api = api_as(no_role)
    assert api.get("/api/v1/students/").status_code == 403
    ana = parent_of_three.children[0]
    response = api.get(f"/api/v1/students/{ana.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    response = api.patch(f"/api/v1/people/{parent_of_three.guardian.pk}/", {"first_name": "X"})
    assert response.status_code == 404


def test_school_staff_may_not_add_an_unlinked_adult(api_as, lincoln_staff):
    response = api_as(lincoln_staff).post(
        "/api/v1/people/", {"first_name": "Rosa", "last_name": "Diaz"}, format="json"
    )
    assert response.status_code == 403
    assert "student's contacts" in response.json()["message"]


@pytest.mark.parametrize("header", [None, "Token wrong", "Token ", "Bearer x"])
def test_a_missing_or_bad_token_is_a_401_with_the_token_challenge(api, parent_of_three, header):
    kwargs = {"HTTP_AUTHORIZATION": header} if header else {}
    for url in ("/api/v1/students/", f"/api/v1/students/{parent_of_three.children[0].pk}/"):
        response = api.get(url, **kwargs)
        assert response.status_code == 401, (header, url, response.content)
        assert response["WWW-Authenticate"] == "Token"
        assert response.json()["code"] in ("not_authenticated", "authentication_failed")


def test_a_good_token_and_a_session_both_still_sign_in(api, client, lincoln_staff, parent_of_three):
    key = Token.objects.create(user=lincoln_staff).key
    assert api.get("/api/v1/students/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    client.force_login(lincoln_staff)
    assert client.get("/api/v1/students/").status_code == 200


# --- the services check a staff actor themselves ------------------------------------------------


def test_a_write_service_refuses_a_staff_user_whose_role_may_not_change(
    counselor_sees_ana, parent_of_three
):
    maria = parent_of_three.guardian
    with pytest.raises(PermissionDenied):
        services.person_update(actor=counselor_sees_ana, person=maria, first_name="X")
    with pytest.raises(PermissionDenied):
        services.contact_point_add(
            actor=counselor_sees_ana, person=maria, kind="email", value="x@example.org"
        )
    with pytest.raises(PermissionDenied):
        services.student_contact_update(
            actor=counselor_sees_ana, link=parent_of_three.links[0], lives_with=False
        )
    maria.refresh_from_db()
    assert maria.first_name == "Maria"


def test_a_write_service_refuses_staff_of_another_school(washington_staff, lincoln):
    lincoln_only = StudentContactFactory(student=StudentFactory(school=lincoln))
    with pytest.raises(PermissionDenied):
        services.contact_point_add(
            actor=washington_staff, person=lincoln_only.person, kind="email", value="a@example.org"
        )
    with pytest.raises(PermissionDenied):
        services.student_contact_remove(actor=washington_staff, link=lincoln_only)
    with pytest.raises(PermissionDenied):
        services.person_create(actor=washington_staff, first_name="A", last_name="B")
    assert not AuditEntry.objects.exists()


def test_a_process_actor_is_not_checked_as_a_staff_user(lincoln):
    """The portal, the importers and provider hooks scope themselves (a label, not a user)."""
    person = services.person_create(actor="portal:person:1", first_name="A", last_name="B")
    link = services.student_contact_add(
        actor="import:contacts",
        student=StudentFactory(school=lincoln),
        person=PersonFactory(),
        relationship="aunt_uncle",
    )
    assert person.pk and link.pk


def _json(body) -> str:
    return json.dumps(body) if body is not None else ""
