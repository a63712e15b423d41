"""The front office's release screen through Django's test client: looking a student or the
arriving adult up, the four-step release, a guardian's code, a lead's approval, turning a
do-not-release adult away; 404 for what an actor may not see, errors in the staff member's
language with nothing written, the access log and constant query counts."""

import re

import pytest
from django.utils import timezone

from alerts.models import Message
from privacy.models import AccessLogEntry
from reunify.models import Release, ReleaseApproval, TimelineEntry
from tests.factories import StudentContactFactory, StudentFactory, UserFactory

from .release_helpers import open_lopez_case, png_data_url

pytestmark = pytest.mark.django_db

KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


@pytest.fixture
def case(crisis_lead, lopez_family, counselors):
    return open_lopez_case(crisis_lead, lopez_family)


def _cs(case, student):
    return case.students.get(student=student)


def _desk(case) -> str:
    return f"/staff/crisis/cases/{case.pk}/release/"


def _page(case, cs) -> str:
    return f"{_desk(case)}{cs.pk}/"


def _key(client, case, cs) -> str:
    return KEY.search(client.get(_page(case, cs)).content.decode()).group(1)


def _release_post(client, case, cs, **fields):
    data = {
        "person": "",
        "identity": "photo_id",
        "student_comfortable": "yes",
        "signature_initials": "RD",
        "idempotency_key": _key(client, case, cs),
    }
    data.update(fields)
    return client.post(f"{_page(case, cs)}record/", data)


# --- looking up -------------------------------------------------------------------------------


def test_the_desk_lists_each_student_with_who_may_take_them(client_for, lincoln_staff, case):
    text = client_for(lincoln_staff).get(_desk(case)).content.decode()
    # Lincoln's staff see Ana and Luis, not their sister at Washington.
    assert "Ana Lopez" in text and "Luis Lopez" in text and "Sofia Lopez" not in text
    assert "Rosa Diaz" in text and "Carmen Lopez" in text
    assert text.count("Do not release to: Pedro Lopez") == 2
    # Nothing else about a custody order, and no phone number.
    assert "court" not in text.lower() and "555" not in text


def test_a_student_is_found_by_name_or_sis_id_and_htmx_gets_only_the_results(
    client_for, lincoln_staff, case, lopez_family
):
    client = client_for(lincoln_staff)
    ana = lopez_family.children[0]
    for q in ("ana lop", ana.sis_id):
        text = client.get(_desk(case), {"by": "student", "q": q}).content.decode()
        assert "Ana Lopez" in text and "Luis Lopez" not in text
    partial = client.get(_desk(case), {"q": "luis"}, HTTP_HX_REQUEST="true").content.decode()
    assert partial.startswith('<div id="desk-results"') and "Luis Lopez" in partial


@pytest.mark.parametrize("q", ["312-555-0111", "(312) 555 0111", "rosa diaz"])
def test_the_arriving_adult_is_found_with_every_student_they_may_take(
    client_for, crisis_lead, case, q
):
    text = client_for(crisis_lead).get(_desk(case), {"by": "adult", "q": q}).content.decode()
    assert "Rosa Diaz" in text
    for name in ("Ana Lopez", "Luis Lopez", "Sofia Lopez"):
        assert f"Release {name}" in text


def test_a_prohibited_adult_is_found_with_do_not_release_and_no_release_button(
    client_for, lincoln_staff, case, lopez_family
):
    text = (
        client_for(lincoln_staff).get(_desk(case), {"by": "adult", "q": "pedro"}).content.decode()
    )
    assert "Do not release to: Pedro Lopez" in text
    assert "Turn away and alert the crisis lead" in text
    assert "Release Ana Lopez" not in text


def test_a_query_that_is_too_long_is_a_400_naming_the_field(client_for, lincoln_staff, case):
    response = client_for(lincoln_staff, "es").get(_desk(case), {"q": "x" * 101})
    assert response.status_code == 400
    assert "Nombre" in response.content.decode()


def test_htmx_gets_the_error_in_the_results_it_swaps_in(client_for, lincoln_staff, case):
    response = client_for(lincoln_staff).get(_desk(case), {"q": "x" * 101}, HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert text.startswith('<div id="desk-results"') and 'class="error"' in text


def test_the_desk_reads_a_constant_number_of_queries(
    client_for, lincoln_staff, case, lincoln, lopez_family, django_assert_max_num_queries
):
    client = client_for(lincoln_staff)
    client.get(_desk(case))
    with django_assert_max_num_queries(30) as few:
        client.get(_desk(case))
    baseline = len(few.captured_queries)
    # Two more children of the mother at Lincoln, each with the aunt: same number of queries.
    for first in ("Eva", "Tomas"):
        child = StudentFactory(first_name=first, last_name="Lopez", school=lincoln)
        StudentContactFactory(student=child, person=lopez_family.mother)
        StudentContactFactory(
            student=child, person=lopez_family.aunt, legal_guardian=False, pickup_status="allowed"
        )
        case.students.create(student=child, family=1, identified_at=timezone.now())
    with django_assert_max_num_queries(baseline):
        text = client.get(_desk(case)).content.decode()
    assert "Tomas Lopez" in text


def test_the_desk_logs_whom_it_showed(client_for, lincoln_staff, case, lopez_family):
    client_for(lincoln_staff).get(_desk(case))
    logged = set(
        AccessLogEntry.objects.filter(
            actor=lincoln_staff, action="reunify.release_desk.viewed"
        ).values_list("object_id", flat=True)
    )
    shown = {str(_cs(case, child).pk) for child in lopez_family.children[:2]}
    assert shown <= {str(pk) for pk in logged}


# --- who may use it ---------------------------------------------------------------------------


def test_pages_are_404_for_who_may_not_see_the_case_or_the_student(
    client_for, case, data_team, washington_staff, lopez_family
):
    ana = _cs(case, lopez_family.children[0])
    nobody = UserFactory()
    for user in (data_team, nobody):
        client = client_for(user)
        assert client.get(_desk(case)).status_code == 404
        assert client.get(_page(case, ana)).status_code == 404
    # Washington's staff see the case (Sofia) but not Ana: her page, and each of its forms.
    client = client_for(washington_staff)
    assert client.get(_desk(case)).status_code == 200
    assert client.get(_page(case, ana)).status_code == 404
    for action in ("record", "code", "refuse", "approval"):
        assert client.post(f"{_page(case, ana)}{action}/", {}).status_code == 404
    assert not Release.objects.exists()


def test_only_a_lead_sees_the_override_fields_and_approves_ahead(
    client_for, crisis_lead, lincoln_staff, case, lopez_family
):
    ana = _cs(case, lopez_family.children[0])
    staff_page = client_for(lincoln_staff).get(_page(case, ana)).content.decode()
    lead_page = client_for(crisis_lead).get(_page(case, ana)).content.decode()
    assert 'name="override_reason"' not in staff_page and 'id="approval-form"' not in staff_page
    assert 'name="override_reason"' in lead_page and 'id="approval-form"' in lead_page
    refused = client_for(lincoln_staff).post(
        f"{_page(case, ana)}approval/",
        {
            "approval-kind": "override",
            "approval-person": str(lopez_family.neighbour.pk),
            "approval-reason": "x",
        },
    )
    assert refused.status_code == 404
    assert not ReleaseApproval.objects.exists()


# --- releasing --------------------------------------------------------------------------------


def test_the_aunt_takes_ana_after_a_photo_id_check_and_a_drawn_signature(
    client_for, lincoln_staff, case, lopez_family
):
    client = client_for(lincoln_staff)
    ana = _cs(case, lopez_family.children[0])
    page = client.get(f"{_page(case, ana)}?person={lopez_family.aunt.pk}").content.decode()
    # The adult who came is already chosen; the steps are in order.
    assert f'value="{lopez_family.aunt.pk}" id="id_person_0" checked' in page or re.search(
        rf'value="{lopez_family.aunt.pk}"[^>]*checked', page
    )
    assert page.index("step-adult") < page.index("step-identity") < page.index("step-student")
    assert page.index("step-student") < page.index("step-signature")
    signature = png_data_url()
    response = _release_post(
        client,
        case,
        ana,
        person=str(lopez_family.aunt.pk),
        signature=signature,
        signature_initials="",
    )
    assert response.status_code == 302
    release = Release.objects.get()
    assert release.person == lopez_family.aunt and release.identity == "photo_id"
    assert release.signature_image == signature and release.handed_over_by == lincoln_staff
    after = client.get(response.url).content.decode()
    assert f'id="released-{ana.pk}"' in after and "Rosa Diaz" in after
    assert 'id="release-form"' not in after


def test_a_double_submit_gives_one_release(client_for, lincoln_staff, case, lopez_family):
    client = client_for(lincoln_staff)
    ana = _cs(case, lopez_family.children[0])
    data = {
        "person": str(lopez_family.aunt.pk),
        "identity": "photo_id",
        "student_comfortable": "yes",
        "signature_initials": "RD",
        "idempotency_key": _key(client, case, ana),
    }
    first = client.post(f"{_page(case, ana)}record/", data)
    second = client.post(f"{_page(case, ana)}record/", data)
    assert first.status_code == second.status_code == 302
    assert Release.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field", "english", "spanish"),
    [
        ({"identity": ""}, "identity", "Choose how identity was confirmed.", "identidad"),
        (
            {"student_comfortable": ""},
            "student_comfortable",
            "This field is required.",
            "requerido",
        ),
        ({"signature_initials": ""}, "signature", "signs on the screen", "firma"),
        ({"signature_initials": "R2"}, "signature_initials", "letters only", "letras"),
        ({"signature": "data:image/png;base64,AAAA"}, "signature", "could not be read", "firma"),
        ({"guardian_code": "12ab"}, "guardian_code", "six digits", "seis"),
        ({"person": "other"}, "adult_name", "Write the name of the adult.", "nombre"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_written(
    client_for, lincoln_staff, case, lopez_family, fields, field, english, spanish
):
    ana = _cs(case, lopez_family.children[0])
    values = {"person": str(lopez_family.aunt.pk), **fields}
    for language, words in (("en", english), ("es", spanish)):
        response = _release_post(client_for(lincoln_staff, language), case, ana, **values)
        assert response.status_code == 400, (language, fields)
        text = response.content.decode()
        assert words.lower() in text.lower(), (language, field)
        assert f'id="id_{field}_error"' in text, (language, field)
    assert not Release.objects.exists()


def test_an_adult_needing_an_override_is_refused_at_the_desk_and_a_lead_overrides(
    client_for, crisis_lead, lincoln_staff, case, lopez_family
):
    ana = _cs(case, lopez_family.children[0])
    neighbour = str(lopez_family.neighbour.pk)
    refused = _release_post(client_for(lincoln_staff), case, ana, person=neighbour)
    assert refused.status_code == 409
    assert "needs a crisis lead&#x27;s override" in refused.content.decode()
    assert not Release.objects.exists()
    done = _release_post(
        client_for(crisis_lead),
        case,
        ana,
        person=neighbour,
        override_reason="Mother asked by phone; known to the office.",
    )
    assert done.status_code == 302
    assert Release.objects.get().authorization == "override"


def test_the_lead_approves_ahead_and_the_desk_then_releases(
    client_for, crisis_lead, lincoln_staff, case, lopez_family
):
    ana = _cs(case, lopez_family.children[0])
    neighbour = str(lopez_family.neighbour.pk)
    approved = client_for(crisis_lead).post(
        f"{_page(case, ana)}approval/",
        {
            "approval-kind": "override",
            "approval-person": neighbour,
            "approval-reason": "Known to the office.",
        },
    )
    assert approved.status_code == 302
    assert _release_post(client_for(lincoln_staff), case, ana, person=neighbour).status_code == 302
    assert Release.objects.get().override.approved_by == crisis_lead


def test_the_students_no_holds_the_release(client_for, lincoln_staff, case, lopez_family):
    ana = _cs(case, lopez_family.children[0])
    response = _release_post(
        client_for(lincoln_staff, "vi"),
        case,
        ana,
        person=str(lopez_family.aunt.pk),
        student_comfortable="no",
    )
    assert response.status_code == 409
    assert not Release.objects.exists()
    assert TimelineEntry.objects.filter(case=case, action="release.held").exists()


def test_an_unlisted_neighbour_is_authorized_by_the_mothers_code(
    client_for, lincoln_staff, case, lopez_family
):
    client = client_for(lincoln_staff)
    ana = _cs(case, lopez_family.children[0])
    asked = client.post(
        f"{_page(case, ana)}code/",
        {
            "code-guardian": str(lopez_family.mother.pk),
            "code-person": "other",
            "code-adult_name": "Nadia Vecina",
        },
    )
    assert asked.status_code == 302
    sms = Message.objects.get(template_key__startswith="reunify.release_code")
    assert sms.address == "+13125550101" and "Nadia Vecina" in sms.body
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", sms.body).group(1)
    assert "Asked Maria Lopez for Nadia Vecina" in client.get(_page(case, ana)).content.decode()
    wrong = _release_post(
        client,
        case,
        ana,
        person="other",
        adult_name="Nadia Vecina",
        guardian_code="000000" if code != "000000" else "111111",
    )
    assert wrong.status_code == 400 and not Release.objects.exists()
    done = _release_post(
        client, case, ana, person="other", adult_name="Nadia Vecina", guardian_code=code
    )
    assert done.status_code == 302
    release = Release.objects.get()
    assert release.authorization == "guardian_code" and release.adult_name == "Nadia Vecina"


def test_a_code_is_asked_only_of_a_legal_guardian(client_for, lincoln_staff, case, lopez_family):
    ana = _cs(case, lopez_family.children[0])
    response = client_for(lincoln_staff).post(
        f"{_page(case, ana)}code/",
        {
            "code-guardian": str(lopez_family.aunt.pk),
            "code-person": "other",
            "code-adult_name": "Nadia",
        },
    )
    assert response.status_code == 400
    assert not Message.objects.filter(template_key__startswith="reunify.release_code").exists()


def test_turning_the_prohibited_uncle_away_alerts_the_lead_on_the_dashboard(
    client_for, crisis_lead, lincoln_staff, case, lopez_family
):
    crisis_lead.email = "lead@district.example.org"
    crisis_lead.save()
    ana = _cs(case, lopez_family.children[0])
    response = client_for(lincoln_staff).post(
        f"{_page(case, ana)}refuse/", {"person": str(lopez_family.uncle.pk)}, follow=True
    )
    assert "the crisis lead has been alerted" in response.content.decode()
    alert = Message.objects.get(template_key="reunify.prohibited_attempt")
    assert alert.lane == "emergency" and alert.address == "lead@district.example.org"
    dashboard = client_for(crisis_lead).get("/staff/crisis/").content.decode()
    assert "A release to a do-not-release adult was attempted for Ana Lopez" in dashboard
    assert not Release.objects.exists()


def test_turning_away_an_adult_who_is_not_prohibited_writes_nothing(
    client_for, lincoln_staff, case, lopez_family
):
    ana = _cs(case, lopez_family.children[0])
    client_for(lincoln_staff).post(f"{_page(case, ana)}refuse/", {"person": lopez_family.aunt.pk})
    assert not TimelineEntry.objects.filter(action="release.prohibited_attempt").exists()
    assert not Message.objects.filter(template_key="reunify.prohibited_attempt").exists()


# --- an outside agency's request under legal review -------------------------------------------


@pytest.fixture
def agency_request_for_ana(lincoln_staff, lincoln, lopez_family):
    from privacy.services.agency import Intake, agency_request_receive

    return agency_request_receive(
        actor=lincoln_staff,
        intake=Intake(
            school_id=lincoln.pk,
            officer_name="J. Smith",
            agency="An outside agency",
            purpose="Asked to speak with a student",
            document_kind="administrative_warrant",
            student_ids=[lopez_family.children[0].pk],
        ),
    )


def test_every_page_showing_a_student_under_agency_review_says_share_nothing(
    client_for, crisis_lead, lincoln_staff, case, lopez_family, agency_request_for_ana
):
    ana, luis = (_cs(case, child) for child in lopez_family.children[:2])
    banner = "under legal review"
    staff = client_for(lincoln_staff)
    for url in (_page(case, ana), f"/staff/crisis/students/{ana.pk}/"):
        assert banner in staff.get(url).content.decode(), url
    assert banner not in staff.get(_page(case, luis)).content.decode()
    # Lists mark the one student.
    for client, url in (
        (staff, _desk(case)),
        (client_for(crisis_lead), "/staff/crisis/"),
        (client_for(crisis_lead), f"/staff/crisis/cases/{case.pk}/"),
        (client_for(crisis_lead), f"/staff/crisis/cases/{case.pk}/cards/"),
    ):
        text = client.get(url).content.decode()
        assert text.count('class="agency-badge"') == 1, url
