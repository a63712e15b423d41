"""School events on the staff pages: a lead opens one (choose, preview, confirm); the event's
page keeps accountability (htmx rows, the unaccounted first, 50 a page) and the check-in queue;
404 for who may not see it, errors in the staff member's language, nothing half-written, and a
constant number of queries however many students."""

import re

import pytest

from alerts.models import Message
from reunify.models import Accounting, Case
from reunify.services.events import checkin_token, event_checkin, school_event_open
from tests.factories import (
    PersonFactory,
    PhoneFactory,
    SchoolFactory,
    StudentContactFactory,
    StudentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


@pytest.fixture
def school(db):
    return SchoolFactory(code="RHS", name="Riverside High School", address="1 River Rd")


def _students(school, count: int, start: int = 0):
    made = []
    for n in range(start, start + count):
        child = StudentFactory(first_name=f"Kid{n:03d}", last_name="Student", school=school)
        parent = PersonFactory(preferred_language="es")
        PhoneFactory(person=parent)
        StudentContactFactory(student=child, person=parent, emergency_priority=1)
        made.append(child)
    return made


@pytest.fixture
def event(crisis_lead, school):
    _students(school, 3)
    return school_event_open(actor=crisis_lead, school=school, site="Stadium").case


@pytest.fixture
def school_staff(school):
    from privacy.roles import Role

    return UserFactory(username="rhs.office", roles=[Role.SCHOOL_STAFF], schools=[school])


def _page(event) -> str:
    return f"/staff/crisis/cases/{event.pk}/event/"


# --- opening ----------------------------------------------------------------------------------


def test_the_lead_previews_then_opens_an_event_and_a_double_submit_gives_one(
    client_for, crisis_lead, school
):
    _students(school, 4)
    client = client_for(crisis_lead)
    assert "Riverside High School" in client.get("/staff/crisis/events/open/").content.decode()
    preview = client.post(
        "/staff/crisis/events/open/preview/",
        {"school": school.pk, "site": "Stadium", "when": "from 2:30 pm"},
    )
    text = preview.content.decode()
    assert preview.status_code == 200 and "4 students" in text and "4 guardians" in text
    assert not Case.objects.exists() and not Message.objects.exists()
    data = {
        "school": school.pk,
        "site": "Stadium",
        "when": "from 2:30 pm",
        "drill": "",
        "idempotency_key": KEY.search(text).group(1),
    }
    first = client.post("/staff/crisis/events/open/confirm/", data)
    second = client.post("/staff/crisis/events/open/confirm/", data)
    case = Case.objects.get()
    assert first.url == second.url == _page(case)
    assert case.kind == "school_event" and case.students.count() == 4
    assert Message.objects.filter(template_key="reunify.event_notice").count() == 4


def test_only_a_lead_opens_an_event(client_for, school_staff, school):
    client = client_for(school_staff)
    assert client.get("/staff/crisis/events/open/").status_code == 404
    assert (
        client.post("/staff/crisis/events/open/confirm/", {"school": school.pk}).status_code == 404
    )
    assert not Case.objects.exists()


def test_a_school_nobody_may_see_is_a_400_naming_the_field(client_for, crisis_lead):
    response = client_for(crisis_lead, "es").post(
        "/staff/crisis/events/open/preview/", {"school": "999999"}
    )
    assert response.status_code == 400
    assert 'id="id_school_error"' in response.content.decode()
    assert not Case.objects.exists()


# --- who sees the event -----------------------------------------------------------------------


def test_the_event_page_is_404_for_who_may_not_see_it(
    client_for, event, data_team, counselor_at_lincoln, lincoln_staff, crisis_lead, school_staff
):
    for user in (data_team, counselor_at_lincoln, lincoln_staff, UserFactory()):
        assert client_for(user).get(_page(event)).status_code == 404
    for user in (crisis_lead, school_staff):
        assert client_for(user).get(_page(event)).status_code == 200


def test_a_guardian_unavailable_case_has_no_event_page(client_for, crisis_lead, parent_of_three):
    from reunify.services import case_open

    case = case_open(actor=crisis_lead, guardian_ids=[parent_of_three.guardian.pk]).case
    assert client_for(crisis_lead).get(_page(case)).status_code == 404


# --- accountability ---------------------------------------------------------------------------


def _row_url(event, cs) -> str:
    return f"{_page(event)}students/{cs.pk}/account/"


def test_staff_mark_a_student_present_with_htmx_and_the_unaccounted_list_shrinks(
    client_for, school_staff, event
):
    client = client_for(school_staff)
    cs = event.students.order_by("student__first_name").first()
    page = client.get(_page(event)).content.decode()
    assert "Not accounted for: 3" in page and f'id="ev-{cs.pk}"' in page
    row = client.post(_row_url(event, cs), {"status": "present"}, HTTP_HX_REQUEST="true")
    text = row.content.decode()
    assert row.status_code == 200 and text.startswith(f'<tr id="ev-{cs.pk}"')
    assert 'data-accounted="present"' in text and "Present at the site" in text
    assert Accounting.objects.get().recorded_by == school_staff
    page = client.get(_page(event)).content.decode()
    assert "Not accounted for: 2" in page and f'id="ev-{cs.pk}"' not in page
    assert f'id="ev-{cs.pk}"' in client.get(_page(event), {"show": "all"}).content.decode()


@pytest.mark.parametrize(
    ("data", "english", "spanish"),
    [
        ({"status": "transported"}, "Write where the student was taken.", "Escriba dónde"),
        ({"status": "on_the_moon"}, "Select a valid choice", "Escoja una opción válida"),
    ],
)
def test_bad_accounting_is_shown_in_the_row_and_nothing_is_written(
    client_for, school_staff, event, data, english, spanish
):
    cs = event.students.first()
    for language, words in (("en", english), ("es", spanish)):
        row = client_for(school_staff, language).post(
            _row_url(event, cs), data, HTTP_HX_REQUEST="true"
        )
        assert row.status_code == 200 and words in row.content.decode(), language
    assert not Accounting.objects.exists()


def test_a_student_of_another_case_is_a_404(client_for, crisis_lead, event, school):
    other_school = SchoolFactory(code="OTH", name="Other School")
    _students(other_school, 1)
    other = school_event_open(actor=crisis_lead, school=other_school).case
    cs = other.students.get()
    response = client_for(crisis_lead).post(_row_url(event, cs), {"status": "present"})
    assert response.status_code == 404
    assert not Accounting.objects.exists()


def test_the_name_search_narrows_the_list(client_for, crisis_lead, event):
    text = client_for(crisis_lead).get(_page(event), {"q": "kid001", "show": "all"}).content
    assert b"Kid001" in text and b"Kid000" not in text


def test_the_page_reads_a_constant_number_of_queries_and_pages_by_50(
    client_for, crisis_lead, school, django_assert_max_num_queries
):
    _students(school, 5)
    small = school_event_open(actor=crisis_lead, school=school).case
    client = client_for(crisis_lead)
    client.get(_page(small))
    with django_assert_max_num_queries(40) as few:
        client.get(_page(small))
    baseline = len(few.captured_queries)
    from reunify.services import case_close

    case_close(actor=crisis_lead, case=small, note="Over.")
    _students(school, 70, start=100)
    big = school_event_open(actor=crisis_lead, school=school).case
    with django_assert_max_num_queries(baseline):
        text = client.get(_page(big)).content.decode()
    assert text.count('<tr id="ev-') == 50 and 'id="page-next"' in text


# --- the check-in queue -----------------------------------------------------------------------


def test_a_parents_check_in_appears_in_the_queue(client_for, school_staff, event):
    cs = event.students.first()
    guardian = cs.student.contacts.get().person
    event_checkin(token=checkin_token(event, guardian.pk), students=[cs.student_id], eta_minutes=15)
    text = client_for(school_staff).get(f"{_page(event)}queue/").content.decode()
    assert cs.student.display_name in text and "in about 15 min" in text
