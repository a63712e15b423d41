"""Requests from outside agencies: intake, alerts, the legal office's decision, the disclosure
record it writes, the banner, documents, and the bad input the procedure must refuse."""

import pytest
from django.template import engines
from django.urls import reverse

from alerts.models import Lane, Message
from privacy.models import AccessLogEntry, AgencyDocument, AgencyRequest, Disclosure
from privacy.selectors import open_agency_request_for_student
from tests.portal.conftest import sign_in_client

from .files import fake_pdf, pdf, png

pytestmark = pytest.mark.django_db
URL = "/api/v1/agency-requests/"


def _intake(school, **changes):
    body = {
        "school": school.pk,
        "officer_name": "J. Smith",
        "badge_number": "4471",
        "agency": "U.S. Immigration and Customs Enforcement",
        "supervisor_phone": "(312) 555-0177",
        "purpose": "Asked to speak with a student",
        "document_kind": "administrative_warrant",
    }
    return body | changes


def _file(api, user, body, files=()):
    data = dict(body)
    if files:
        data["documents"] = list(files)
    return api(user).post(URL, data, format="multipart")


@pytest.fixture
def ana(parent_of_three):
    return parent_of_three.children[0]


def test_a_request_without_an_officer_name_is_refused_and_nothing_is_written(
    api_as, lincoln_staff, lincoln, ana, legal_officer
):
    response = _file(
        api_as, lincoln_staff, _intake(lincoln, officer_name=" ", student_ids=[ana.pk])
    )
    assert response.status_code == 400
    assert response.json()["extra"]["field"] == "officer_name"
    assert not AgencyRequest.objects.exists() and not Message.objects.exists()


def test_a_request_without_a_purpose_is_refused(api_as, lincoln_staff, lincoln, ana):
    response = _file(api_as, lincoln_staff, _intake(lincoln, purpose="", student_ids=[ana.pk]))
    assert response.status_code == 400
    assert response.json()["extra"]["field"] == "purpose"
    assert not AgencyRequest.objects.exists()


def test_a_file_that_is_not_what_its_name_says_is_refused_and_nothing_saved(
    api_as, lincoln_staff, lincoln, ana, documents_root
):
    response = _file(
        api_as, lincoln_staff, _intake(lincoln, student_ids=[ana.pk]), files=[png(), fake_pdf()]
    )
    assert response.status_code == 400
    body = response.json()
    assert body["extra"]["field"] == "documents" and "warrant.pdf" in body["message"]
    assert not AgencyRequest.objects.exists() and not AgencyDocument.objects.exists()
    assert not documents_root.exists() or not any(documents_root.rglob("*.*"))


def test_a_png_named_pdf_is_refused(api_as, lincoln_staff, lincoln, ana):
    renamed = png(name="warrant.pdf")
    response = _file(api_as, lincoln_staff, _intake(lincoln, student_ids=[ana.pk]), [renamed])
    assert response.status_code == 400 and "its content is image/png" in response.json()["message"]


def test_a_student_of_another_school_cannot_be_named(api_as, washington_staff, washington, ana):
    response = _file(api_as, washington_staff, _intake(washington, student_ids=[ana.pk]))
    assert response.status_code == 400
    assert response.json()["extra"]["field"] == "student_ids"


@pytest.fixture
def filed(api_as, lincoln_staff, lincoln, ana, legal_officer, lead_with_phone, superintendent):
    """An officer at Lincoln's front desk with an administrative warrant asks for Ana."""
    response = _file(
        api_as, lincoln_staff, _intake(lincoln, student_ids=[ana.pk]), files=[png(), pdf()]
    )
    assert response.status_code == 201, response.content
    return AgencyRequest.objects.get(pk=response.json()["id"])


def test_the_legal_office_the_lead_and_the_superintendent_are_alerted_at_once(
    filed, legal_officer, lead_with_phone, superintendent, ana
):
    messages = Message.objects.filter(cause_type="privacy.agencyrequest", cause_id=filed.pk)
    sent = {(m.address, m.channel) for m in messages}
    assert sent == {
        ("legal@district.example", "email"),
        ("+13125550180", "sms"),
        ("lead@district.example", "email"),
        ("+13125550181", "sms"),
        ("super@district.example", "email"),
    }
    assert all(m.lane == Lane.EMERGENCY and m.emergency for m in messages)
    for message in messages:
        assert "Lincoln Elementary" in message.body
        assert ana.first_name not in message.body and ana.last_name not in message.body
    spanish = messages.get(address="+13125550180")
    assert spanish.language == "es" and "agencia" in spanish.body


def test_an_emergency_declared_says_so_in_the_alert(
    api_as, lincoln_staff, lincoln, ana, legal_officer
):
    body = _intake(lincoln, student_ids=[ana.pk], emergency_declared="true")
    assert _file(api_as, lincoln_staff, body).status_code == 201
    message = Message.objects.get(channel="email", address="legal@district.example")
    assert message.template_key == "privacy.agency_request_emergency"
    assert "emergencia" in message.body and "no interfiere" in message.body


def test_nothing_about_the_student_can_be_exported_before_a_decision(filed, api_as, legal_officer):
    response = api_as(legal_officer).get(f"{URL}{filed.pk}/export/")
    assert response.status_code == 409 and response.json()["extra"]["field"] == "status"


def test_a_decision_without_a_basis_is_refused(filed, api_as, legal_officer):
    response = api_as(legal_officer).post(
        f"{URL}{filed.pk}/decision/", {"outcome": "denied", "decision_basis": ""}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["extra"]["field"] == "decision_basis"
    filed.refresh_from_db()
    assert filed.status == AgencyRequest.Status.RECEIVED


@pytest.mark.parametrize("who", ["lincoln_staff", "lead_with_phone", "data_team"])
def test_only_a_legal_officer_can_decide_anyone_else_gets_a_404(filed, api_as, request, who):
    user = request.getfixturevalue(who)
    decision = {"outcome": "denied", "decision_basis": "An administrative warrant is not enough."}
    response = api_as(user).post(f"{URL}{filed.pk}/decision/", decision, format="json")
    assert response.status_code == 404
    assert api_as(user).get(f"{URL}{filed.pk}/").status_code == 404
    filed.refresh_from_db()
    assert filed.status == AgencyRequest.Status.RECEIVED


def test_a_denied_request_writes_no_disclosure_and_exports_nothing(
    filed, api_as, legal_officer, ana
):
    api = api_as(legal_officer)
    assert api.post(f"{URL}{filed.pk}/review/").json()["status"] == "under_review"
    decision = {
        "outcome": "denied",
        "decision_basis": "An administrative warrant does not authorise access to a student.",
    }
    response = api.post(f"{URL}{filed.pk}/decision/", decision, format="json")
    assert response.status_code == 200 and response.json()["outcome"] == "denied"
    assert not Disclosure.objects.exists()
    assert api.get(f"{URL}{filed.pk}/export/").status_code == 409
    again = api.post(f"{URL}{filed.pk}/decision/", decision, format="json")
    assert again.status_code == 409 and Disclosure.objects.count() == 0


def test_a_granted_request_writes_the_record_the_guardian_reads_in_the_portal(
    filed, api_as, legal_officer, ana, parent_of_three, client
):
    decision = {
        "outcome": "granted",
        "decision_basis": "Judicial subpoena no. 24-1187, Cook County Circuit Court.",
        "disclosure_basis": "subpoena",
        "disclosed": "Attendance dates for October",
    }
    api = api_as(legal_officer)
    assert api.post(f"{URL}{filed.pk}/decision/", decision, format="json").status_code == 200
    record = Disclosure.objects.get()
    assert record.student_id == ana.pk and record.basis == "subpoena"
    assert record.approved_by == legal_officer and "J. Smith" in record.party
    exported = api.get(f"{URL}{filed.pk}/export/").json()
    assert exported["students"] == [{"id": ana.pk, "name": "Ana Lopez (02)"}]
    # The guardians were told (no order forbade it), in Spanish.
    notices = Message.objects.filter(template_key="privacy.agency_request_guardian")
    assert {"+13125550101", "maria.lopez@example.org", "+13125550102"} <= set(
        notices.values_list("address", flat=True)
    )
    maria = sign_in_client(client, parent_of_three.guardian, language="es")
    page = maria.get(reverse("portal:disclosures"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Attendance dates for October" in text and "J. Smith" in text
    assert "Una citación legal" in text
    assert "Quién ha recibido información sobre mis hijos" in text


def test_guardians_are_not_told_when_the_law_forbids_it(filed, api_as, legal_officer):
    decision = {
        "outcome": "granted_in_part",
        "decision_basis": "Grand jury subpoena 24-0091 with a non-disclosure order.",
        "disclosure_basis": "subpoena",
        "disclosed": "Enrollment status",
        "guardian_notice_forbidden": True,
    }
    api = api_as(legal_officer)
    missing = api.post(f"{URL}{filed.pk}/decision/", decision, format="json")
    assert missing.json()["extra"]["field"] == "guardian_notice_reason"
    decision["guardian_notice_reason"] = "The subpoena orders non-disclosure (18 U.S.C. 2705)."
    assert api.post(f"{URL}{filed.pk}/decision/", decision, format="json").status_code == 200
    assert not Message.objects.filter(template_key="privacy.agency_request_guardian").exists()


def test_a_grant_needs_what_is_given_and_its_ferpa_basis(filed, api_as, legal_officer):
    decision = {"outcome": "granted", "decision_basis": "Court order 12", "disclosed": "x"}
    response = api_as(legal_officer).post(f"{URL}{filed.pk}/decision/", decision, format="json")
    assert response.status_code == 400 and response.json()["extra"]["field"] == "basis"


def test_the_banner_shows_while_the_request_is_open(filed, api_as, legal_officer, ana):
    render = engines["django"].from_string("{% load privacy_tags %}{% agency_banner sid %}").render
    assert open_agency_request_for_student(ana.pk) == filed
    assert "under legal review" in render({"sid": ana.pk})
    decision = {"outcome": "denied", "decision_basis": "No warrant signed by a judge."}
    api_as(legal_officer).post(f"{URL}{filed.pk}/decision/", decision, format="json")
    assert open_agency_request_for_student(ana.pk) is None
    assert "under legal review" not in render({"sid": ana.pk})


def test_documents_are_served_only_to_legal_officers_and_each_download_is_logged(
    filed, client, legal_officer, lincoln_staff
):
    document = filed.documents.order_by("id").first()
    assert document.content_type == "image/png" and document.file.name.startswith("agency/")
    url = reverse("privacy:agency_document", args=[document.pk])
    client.force_login(lincoln_staff)
    assert client.get(url).status_code == 404
    client.force_login(legal_officer)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert AccessLogEntry.objects.filter(
        actor=legal_officer, action="privacy.agency_document.downloaded", object_id=str(document.pk)
    ).exists()


def test_the_list_is_the_legal_offices_and_costs_a_fixed_number_of_queries(
    filed, api_as, legal_officer, lincoln_staff, django_assert_max_num_queries
):
    assert api_as(lincoln_staff).get(URL).json()["results"] == []
    with django_assert_max_num_queries(6):
        rows = api_as(legal_officer).get(URL).json()["results"]
    assert [r["id"] for r in rows] == [filed.pk] and len(rows[0]["documents"]) == 2


def test_close_only_after_a_decision(filed, api_as, legal_officer):
    api = api_as(legal_officer)
    assert api.post(f"{URL}{filed.pk}/close/").status_code == 409
    decision = {"outcome": "denied", "decision_basis": "No judicial warrant."}
    api.post(f"{URL}{filed.pk}/decision/", decision, format="json")
    closed = api.post(f"{URL}{filed.pk}/close/").json()
    assert closed["status"] == "closed" and closed["closed_at"]
