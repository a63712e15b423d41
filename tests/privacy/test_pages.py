"""The staff pages (intake, the legal office's list and decision) and the portal's page of
disclosures: access, bad input said in the reader's language, nothing half-written."""

import pytest
from django.conf import settings
from django.urls import reverse

from privacy.models import AgencyRequest
from privacy.services import agency_request_receive, disclosure_record
from privacy.services.agency import Intake
from tests.factories import StudentFactory
from tests.portal.conftest import sign_in_client

from .files import fake_pdf, png

pytestmark = pytest.mark.django_db
NEW = reverse("privacy:agency_request_new")


def _form(school, ana, **changes):
    data = {
        "school": school.pk,
        "officer_name": "J. Smith",
        "agency": "ICE",
        "purpose": "Wants to talk to a student",
        "student_ids": [ana.pk],
        "document_kind": "administrative_warrant",
    }
    return data | changes


@pytest.fixture
def staff_client(client, lincoln_staff):
    client.force_login(lincoln_staff)
    return client


@pytest.fixture
def ana(parent_of_three):
    return parent_of_three.children[0]


def test_the_intake_page_says_what_to_do_and_whom_to_call(staff_client, ana):
    page = staff_client.get(NEW, {"school": ana.school_id, "q": "Ana"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "What to do now" in text and "tel:+13125550190" in text and "tel:+13125550191" in text
    assert f'value="{ana.pk}"' in text and "Ana Lopez (02)" in text


def test_the_intake_page_is_in_the_readers_language(staff_client):
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    text = staff_client.get(NEW).content.decode()
    assert 'dir="rtl"' in text and "ضابط يطلب طالبًا أو سجلات" in text


def test_an_intake_without_an_officer_name_shows_the_error_and_saves_nothing(
    staff_client, lincoln, ana
):
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    page = staff_client.post(NEW, _form(lincoln, ana, officer_name=""))
    assert page.status_code == 400
    text = page.content.decode()
    assert "Este dato es obligatorio." in text and "No se guardó nada." in text
    assert not AgencyRequest.objects.exists()


def test_a_bad_file_on_the_page_is_refused_with_a_clear_error(staff_client, lincoln, ana):
    page = staff_client.post(NEW, _form(lincoln, ana, documents=[png(), fake_pdf()]))
    assert page.status_code == 400
    assert "send a JPEG, PNG or PDF of at most 10 MB" in page.content.decode()
    assert not AgencyRequest.objects.exists()


def test_a_filed_request_leads_to_its_confirmation(staff_client, lincoln, ana, legal_officer):
    response = staff_client.post(NEW, _form(lincoln, ana, emergency_declared="on"))
    request = AgencyRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("privacy:agency_request_received", args=[request.pk])
    page = staff_client.get(response["Location"])
    assert "comply and do not interfere" in page.content.decode()


def test_a_student_page_of_another_school_cannot_be_searched(client, washington_staff, ana):
    client.force_login(washington_staff)
    page = client.get(NEW, {"school": ana.school_id, "q": "Ana"})
    assert "Ana Lopez" not in page.content.decode()


@pytest.fixture
def filed(lincoln_staff, lincoln, ana):
    intake = Intake(
        school_id=lincoln.pk,
        officer_name="J. Smith",
        agency="ICE",
        purpose="Wants a student",
        document_kind="none",
        student_ids=[ana.pk],
    )
    return agency_request_receive(actor=lincoln_staff, intake=intake)


def test_the_legal_pages_are_a_404_for_everyone_else(client, filed, lincoln_staff, crisis_lead):
    urls = [
        reverse("privacy:agency_request_list"),
        reverse("privacy:agency_request_detail", args=[filed.pk]),
    ]
    for user in (lincoln_staff, crisis_lead):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404
        decide = reverse("privacy:agency_request_act", args=[filed.pk, "decide"])
        response = client.post(decide, {"outcome": "denied", "decision_basis": "No warrant."})
        assert response.status_code == 404
    filed.refresh_from_db()
    assert filed.status == AgencyRequest.Status.RECEIVED


def test_the_legal_officer_decides_on_the_page(client, filed, legal_officer, ana):
    client.force_login(legal_officer)
    detail = client.get(reverse("privacy:agency_request_detail", args=[filed.pk]))
    assert detail.status_code == 200 and "Ana Lopez (02)" in detail.content.decode()
    decide = reverse("privacy:agency_request_act", args=[filed.pk, "decide"])
    missing = client.post(decide, {"outcome": "denied", "decision_basis": ""})
    assert missing.status_code == 400
    assert "Write down the legal basis of the decision." in missing.content.decode()
    done = client.post(decide, {"outcome": "denied", "decision_basis": "No judicial warrant."})
    assert done.status_code == 302
    filed.refresh_from_db()
    assert filed.outcome == "denied" and filed.decided_by == legal_officer


def test_a_guardian_sees_only_their_own_childrens_disclosures(client, parent_of_three, lincoln):
    ana = parent_of_three.children[0]
    stranger = StudentFactory(first_name="Zed", school=lincoln)
    for student, party in ((ana, "Carmen Ruiz (grandparent)"), (stranger, "Someone Else")):
        disclosure_record(
            actor="system",
            student_ids=[student.pk],
            party=party,
            what="That the student needs to be picked up today",
            basis="listed_contact",
        )
    maria = sign_in_client(client, parent_of_three.guardian, language="vi")
    text = maria.get(reverse("portal:disclosures")).content.decode()
    assert "Carmen Ruiz (grandparent)" in text and "Someone Else" not in text
    assert "Ai đã được cung cấp thông tin về con tôi" in text
    assert "Người giám hộ đã ghi họ là liên lạc khẩn cấp hoặc người đón" in text
