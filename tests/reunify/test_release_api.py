"""The release API: POST and GET /api/v1/cases/{id}/releases/, codes, approvals, the release
screen's lookups, corrections; bad input is a 400/409 naming the reason, never a 500."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.models import Message
from privacy.models import AccessLogEntry
from reunify.models import Release, ReleaseCode, TimelineEntry

from .release_helpers import open_lopez_case, png_data_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(crisis_lead, lopez_family, counselors):
    return open_lopez_case(crisis_lead, lopez_family)


def _body(student_, person_=None, **extra):
    body = {
        "student": student_.pk,
        "identity": "photo_id",
        "student_comfortable": True,
        "signature": "RD",
    }
    if person_ is not None:
        body["person"] = person_.pk
    body.update(extra)
    return body


def _field(body: dict) -> str | None:
    """The field a 400 names: a service's `extra.field`, or the serializer's only field."""
    extra = body.get("extra", {})
    if "field" in extra:
        return extra["field"]
    fields = list(extra.get("fields", {}))
    return fields[0] if len(fields) == 1 else None


def test_post_release_gives_201_with_the_chain_of_custody(
    api_as, lincoln_staff, case, lopez_family
):
    ana = lopez_family.children[0]
    response = api_as(lincoln_staff).post(
        f"/api/v1/cases/{case.pk}/releases/", _body(ana, lopez_family.aunt), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["student"] == ana.pk and body["person"] == lopez_family.aunt.pk
    assert body["taken_by"] == "Rosa Diaz" and body["authorization"] == "allowed"
    assert body["identity"] == "photo_id" and body["signed_with"] == "initials"
    assert body["handed_over_by"] == "lincoln.office"
    assert body["checked_in_by"] == "lincoln.office"


def test_drawn_signature_through_the_api(api_as, lincoln_staff, case, lopez_family):
    ana = lopez_family.children[0]
    body = _body(ana, lopez_family.aunt, signature=png_data_url())
    response = api_as(lincoln_staff).post(f"/api/v1/cases/{case.pk}/releases/", body, format="json")
    assert response.status_code == 201 and response.json()["signed_with"] == "image"


def test_retried_post_with_the_same_key_gives_the_same_release(
    api_as, lincoln_staff, case, lopez_family
):
    client = api_as(lincoln_staff)
    body = _body(lopez_family.children[0], lopez_family.aunt)
    first = client.post(
        f"/api/v1/cases/{case.pk}/releases/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc"
    )
    second = client.post(
        f"/api/v1/cases/{case.pk}/releases/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc"
    )
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Release.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("uncle", 409, "release_prohibited"),
        ("neighbour", 409, "release_needs_approval"),
    ],
)
def test_refusals_carry_their_code(api_as, lincoln_staff, case, lopez_family, who, status, code):
    ana = lopez_family.children[0]
    person = getattr(lopez_family, who)
    response = api_as(lincoln_staff).post(
        f"/api/v1/cases/{case.pk}/releases/", _body(ana, person), format="json"
    )
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert not Release.objects.exists()


def test_unlisted_adult_is_not_authorized(api_as, lincoln_staff, case, lopez_family):
    body = _body(lopez_family.children[0], adult_name="Nadia Vecina")
    response = api_as(lincoln_staff).post(f"/api/v1/cases/{case.pk}/releases/", body, format="json")
    assert response.status_code == 409 and response.json()["code"] == "release_not_authorized"


def test_already_released_is_409_naming_who_and_when(api_as, crisis_lead, case, lopez_family):
    client = api_as(crisis_lead)
    ana = lopez_family.children[0]
    client.post(f"/api/v1/cases/{case.pk}/releases/", _body(ana, lopez_family.aunt), format="json")
    again = client.post(
        f"/api/v1/cases/{case.pk}/releases/", _body(ana, lopez_family.grandmother), format="json"
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_released"
    assert "Rosa Diaz" in again.json()["message"]
    assert again.json()["extra"]["released_to"] == "Rosa Diaz"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"identity": "passport"}, "identity"),
        ({"identity": "consular_card"}, "identity"),
        ({"student_comfortable": "maybe"}, "student_comfortable"),
        ({"override_reason": ""}, "override_reason"),
        ({"override_reason": "   "}, "override_reason"),
        ({"person": 99999999}, "person"),
        ({"person": "x"}, "person"),
        ({"student": 99999999}, "student"),
        ({"signature": ""}, "signature"),
        ({"signature": "data:image/png;base64,AAAA"}, "signature"),
        ({"guardian_code": "12ab56"}, "guardian_code"),
        ({"document_number": "A1234567"}, "document_number"),
        ({"issuing_country": "MX"}, "issuing_country"),
        ({"id_type": "matricula_consular"}, "id_type"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_written(
    api_as, crisis_lead, case, lopez_family, change, field
):
    before = TimelineEntry.objects.count()
    body = _body(lopez_family.children[0], lopez_family.neighbour, **change)
    response = api_as(crisis_lead).post(f"/api/v1/cases/{case.pk}/releases/", body, format="json")
    assert response.status_code == 400, response.json()
    assert _field(response.json()) == field, response.json()
    assert not Release.objects.exists()
    assert TimelineEntry.objects.count() == before


@pytest.mark.parametrize("key", ["passport_number", "nationality", "citizenship", "visa_type"])
def test_the_privacy_guard_refuses_immigration_keys(api_as, lincoln_staff, case, lopez_family, key):
    body = _body(lopez_family.children[0], lopez_family.aunt, **{key: "x"})
    response = api_as(lincoln_staff).post(f"/api/v1/cases/{case.pk}/releases/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "not_collected"
    assert not Release.objects.exists()


def test_not_a_json_object_is_a_400(api_as, lincoln_staff, case):
    response = api_as(lincoln_staff).post(
        f"/api/v1/cases/{case.pk}/releases/", [1, 2], format="json"
    )
    assert response.status_code == 400


def test_a_case_the_staff_member_cannot_see_is_404(api_as, washington_staff, case, lopez_family):
    # Washington staff see Sofia's case, not Ana at Lincoln.
    response = api_as(washington_staff).post(
        f"/api/v1/cases/{case.pk}/releases/",
        _body(lopez_family.children[0], lopez_family.aunt),
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "student_not_in_case"
    assert api_as(washington_staff).get("/api/v1/cases/999999/releases/").status_code == 404


def test_closed_case_is_409(api_as, crisis_lead, case, lopez_family):
    client = api_as(crisis_lead)
    assert (
        client.post(f"/api/v1/cases/{case.pk}/close/", {"note": "over"}, format="json").status_code
        == 200
    )
    response = client.post(
        f"/api/v1/cases/{case.pk}/releases/",
        _body(lopez_family.children[0], lopez_family.aunt),
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == "case_closed"


def test_closing_with_students_in_care_needs_a_reason(api_as, crisis_lead, case):
    client = api_as(crisis_lead)
    response = client.post(f"/api/v1/cases/{case.pk}/close/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "reason_required"
    assert response.json()["extra"]["field"] == "note"


def test_list_releases_with_a_constant_number_of_queries(api_as, crisis_lead, case, lopez_family):
    client = api_as(crisis_lead)
    url = f"/api/v1/cases/{case.pk}/releases/"
    client.post(url, _body(lopez_family.children[0], lopez_family.aunt), format="json")
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for child in lopez_family.children[1:]:
        client.post(
            url, _body(child, lopez_family.neighbour, override_reason="mother asked"), format="json"
        )
    with CaptureQueriesContext(connection) as three:
        response = client.get(url)
    assert len(response.json()) == 3
    assert len(three) == len(one)


def test_release_options_show_who_may_take_the_student_and_do_not_release_names(
    api_as, lincoln_staff, case, lopez_family
):
    ana = lopez_family.children[0]
    response = api_as(lincoln_staff).get(
        f"/api/v1/cases/{case.pk}/release-options/?student={ana.pk}"
    )
    assert response.status_code == 200
    [options] = response.json()
    assert {a["name"] for a in options["allowed"]} == {"Rosa Diaz", "Carmen Lopez", "Maria Lopez"}
    assert [a["name"] for a in options["needs_override"]] == ["Nora Next"]
    assert options["do_not_release"] == ["Pedro Lopez"]
    assert AccessLogEntry.objects.filter(action="reunify.release_options.viewed").exists()


def test_search_a_student_by_name_or_sis_id(api_as, lincoln_staff, case, lopez_family):
    client = api_as(lincoln_staff)
    by_name = client.get(f"/api/v1/cases/{case.pk}/release-options/?q=ana lop")
    assert [o["name"] for o in by_name.json()] == ["Ana Lopez"]
    sis = lopez_family.children[1].sis_id
    by_sis = client.get(f"/api/v1/cases/{case.pk}/release-options/?q={sis}")
    assert [o["name"] for o in by_sis.json()] == ["Luis Lopez"]
    # Sofia is at Washington: Lincoln's staff do not find her.
    assert client.get(f"/api/v1/cases/{case.pk}/release-options/?q=sofia").json() == []


def test_search_an_arriving_adult_by_phone_lists_every_student_they_may_take(
    api_as, crisis_lead, case, lopez_family
):
    response = api_as(crisis_lead).get(f"/api/v1/cases/{case.pk}/release-adults/?q=(312) 555-0111")
    [match] = response.json()
    assert match["name"] == "Rosa Diaz"
    assert len(match["students"]) == 3
    assert {s["standing"]["standing"] for s in match["students"]} == {"allowed"}
    uncle = api_as(crisis_lead).get(f"/api/v1/cases/{case.pk}/release-adults/?q=Pedro").json()
    assert {s["standing"]["standing"] for s in uncle[0]["students"]} == {"prohibited"}


def test_code_request_and_verify_endpoints(api_as, lincoln_staff, case, lopez_family):
    client = api_as(lincoln_staff)
    ana = lopez_family.children[0]
    response = client.post(
        f"/api/v1/cases/{case.pk}/release-codes/",
        {"student": ana.pk, "guardian": lopez_family.mother.pk, "adult_name": "Nadia Vecina"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    row = ReleaseCode.objects.get()
    body = Message.objects.get(pk=row.message_id).body
    import re

    code = re.search(r"(\d{6})", body).group(1)
    wrong = client.post(
        f"/api/v1/cases/{case.pk}/release-codes/{row.pk}/verify/",
        {"code": "000000" if code != "000000" else "111111"},
        format="json",
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "code_wrong"
    right = client.post(
        f"/api/v1/cases/{case.pk}/release-codes/{row.pk}/verify/", {"code": code}, format="json"
    )
    assert right.status_code == 200 and right.json()["confirmed"]
    released = client.post(
        f"/api/v1/cases/{case.pk}/releases/", _body(ana, adult_name="Nadia Vecina"), format="json"
    )
    assert released.status_code == 201 and released.json()["authorization"] == "guardian_code"


def test_a_typed_phone_number_is_not_accepted_for_a_code(api_as, lincoln_staff, case, lopez_family):
    response = api_as(lincoln_staff).post(
        f"/api/v1/cases/{case.pk}/release-codes/",
        {
            "student": lopez_family.children[0].pk,
            "guardian": lopez_family.mother.pk,
            "adult_name": "Nadia",
            "phone": "+13125559999",
        },
        format="json",
    )
    assert response.status_code == 400 and _field(response.json()) == "phone"


def test_approval_endpoint_is_for_the_lead(api_as, lincoln_staff, crisis_lead, case, lopez_family):
    body = {
        "student": lopez_family.children[0].pk,
        "kind": "override",
        "person": lopez_family.neighbour.pk,
        "reason": "Mother confirmed by phone.",
    }
    denied = api_as(lincoln_staff).post(f"/api/v1/cases/{case.pk}/approvals/", body, format="json")
    assert denied.status_code == 403
    approved = api_as(crisis_lead).post(f"/api/v1/cases/{case.pk}/approvals/", body, format="json")
    assert approved.status_code == 201 and approved.json()["kind"] == "override"


def test_correction_endpoint(api_as, crisis_lead, case, lopez_family):
    client = api_as(crisis_lead)
    created = client.post(
        f"/api/v1/cases/{case.pk}/releases/",
        _body(lopez_family.children[0], lopez_family.aunt),
        format="json",
    ).json()
    response = client.post(
        f"/api/v1/cases/{case.pk}/releases/{created['id']}/corrections/",
        {"changes": {"adult_name": "Rosa M. Diaz"}, "reason": "Spelling of her name."},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["taken_by"] == "Rosa M. Diaz"
    assert Release.objects.get(pk=created["id"]).adult_name == "Rosa Diaz"
    bad = client.post(
        f"/api/v1/cases/{case.pk}/releases/{created['id']}/corrections/",
        {"changes": {"document_number": "X1"}, "reason": "x"},
        format="json",
    )
    assert bad.status_code == 400
