"""The crisis team's pages: opening a case through search, preview and confirm; the dashboard and
its live part; the counselor's task list and the student card. Other staff get a 404, every view
of a case or a student's card is in the access log, and the lists' query counts do not grow."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from privacy.models import AccessLogEntry
from privacy.roles import Role
from reunify.models import Case, Task
from reunify.services import case_open
from tests.factories import PersonFactory, StudentContactFactory, StudentFactory, UserFactory

pytestmark = pytest.mark.django_db


def browser_as(user, language="en"):
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


@pytest.fixture
def opened(crisis_lead, lopez_family, counselors):
    return case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk]).case


def _counselor_user(case):
    return case.students.first().counselor


def test_lead_finds_the_mother_previews_and_opens_the_case(crisis_lead, lopez_family, counselors):
    client = browser_as(crisis_lead)
    search = client.get("/staff/crisis/cases/open/", {"q": "Lopez"})
    assert search.status_code == 200
    assert "Maria Lopez" in search.content.decode()

    preview = client.post(
        "/staff/crisis/cases/open/preview/", {"guardians": [lopez_family.mother.pk]}
    )
    assert preview.status_code == 200
    page = preview.content.decode()
    for child in lopez_family.children:
        assert child.first_name in page
    assert Case.objects.count() == 0, "the preview writes nothing"

    key = preview.context["form"].initial["idempotency_key"]
    body = {"guardians": [lopez_family.mother.pk], "idempotency_key": key}
    first = client.post("/staff/crisis/cases/open/confirm/", body)
    again = client.post("/staff/crisis/cases/open/confirm/", body)
    assert first.status_code == 302 and again.status_code == 302
    assert Case.objects.count() == 1, "a double submit gives the same case"
    case = Case.objects.get()
    assert first["Location"] == again["Location"] == f"/staff/crisis/#case-{case.pk}"
    assert case.students.count() == 3


def test_preview_without_guardians_names_the_field_in_spanish(crisis_lead):
    response = browser_as(crisis_lead, "es").post("/staff/crisis/cases/open/preview/", {})
    assert response.status_code == 400
    assert response.context["form"].errors["guardians"]
    assert 'lang="es"' in response.content.decode()


@pytest.mark.parametrize("path", ["/staff/crisis/cases/open/", "/staff/crisis/cases/open/preview/"])
def test_only_a_lead_may_open_a_case(path, counselor_at_lincoln):
    client = browser_as(counselor_at_lincoln)
    response = client.get(path) if path.endswith("open/") else client.post(path, {})
    assert response.status_code == 404


def test_the_dashboard_shows_every_student_and_the_drill_badge(
    crisis_lead, lopez_family, counselors
):
    case = case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk], drill=True).case
    response = browser_as(crisis_lead).get("/staff/crisis/")
    assert response.status_code == 200
    page = response.content.decode()
    for child in lopez_family.children:
        assert child.last_name in page
    assert "DRILL" in page
    live = browser_as(crisis_lead).get("/staff/crisis/live/")
    assert live.status_code == 200
    assert f'id="case-{case.pk}"' in live.content.decode()
    assert "<html" not in live.content.decode(), "the live part is a fragment for htmx"


def test_the_dashboard_query_count_does_not_grow_with_cases(crisis_lead, lopez_family, counselors):
    client = browser_as(crisis_lead)
    case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk])
    client.get("/staff/crisis/live/")
    with CaptureQueriesContext(connection) as one:
        client.get("/staff/crisis/live/")
    for _ in range(3):
        mother = PersonFactory()
        child = StudentFactory(school=lopez_family.children[0].school)
        StudentContactFactory(student=child, person=mother, emergency_priority=None)
        case_open(actor=crisis_lead, guardian_ids=[mother.pk])
    with CaptureQueriesContext(connection) as four:
        response = client.get("/staff/crisis/live/")
    assert response.status_code == 200
    assert len(four) == len(one), [q["sql"] for q in four.captured_queries]


def test_a_case_page_is_written_to_the_access_log(crisis_lead, opened):
    response = browser_as(crisis_lead).get(f"/staff/crisis/cases/{opened.pk}/")
    assert response.status_code == 200
    assert AccessLogEntry.objects.filter(
        actor=crisis_lead, object_type="reunify.case", object_id=str(opened.pk)
    ).exists()


def test_staff_of_another_school_get_a_404_for_the_case_and_its_cards(opened, db):
    outsider = UserFactory(username="office.elsewhere", roles=[Role.SCHOOL_STAFF])
    client = browser_as(outsider)
    assert client.get(f"/staff/crisis/cases/{opened.pk}/").status_code == 404
    assert client.get(f"/staff/crisis/cases/{opened.pk}/cards/").status_code == 404
    student = opened.students.first()
    assert client.get(f"/staff/crisis/students/{student.pk}/").status_code == 404


def test_printable_cards_name_a_prohibited_adult_only_as_do_not_release(
    crisis_lead, opened, lopez_family
):
    response = browser_as(crisis_lead).get(f"/staff/crisis/cases/{opened.pk}/cards/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Pedro Lopez" in page
    assert "+5215512345678" not in page and "55 1234 5678" not in page
    assert "Rosa Diaz" in page


def test_a_counselor_sees_only_their_own_tasks(opened, counselors, crisis_lead):
    mine = _counselor_user(opened)
    response = browser_as(mine).get("/staff/crisis/tasks/")
    assert response.status_code == 200
    shown = {task.pk for task in response.context["tasks"]}
    assert shown == set(
        Task.objects.filter(assignee=mine).exclude(status="done").values_list("pk", flat=True)
    )
    assert shown
    other = counselors["washington_vi"].user
    other_response = browser_as(other).get("/staff/crisis/tasks/")
    assert not list(other_response.context["tasks"])


def test_completing_a_task_from_the_list_and_again_says_who_completed_it(opened):
    mine = _counselor_user(opened)
    task = Task.objects.filter(assignee=mine, kind="check_in").first()
    client = browser_as(mine)
    done = client.post(f"/staff/crisis/tasks/{task.pk}/complete/", {"notes": "Seen in class."})
    assert done.status_code in (200, 302)
    task.refresh_from_db()
    assert task.status == "done" and task.completed_by == mine
    again = client.post(f"/staff/crisis/tasks/{task.pk}/complete/", {"notes": ""}, follow=True)
    assert again.status_code in (200, 409)
    assert "already completed by" in again.content.decode().lower()


def test_another_counselors_task_is_a_404(opened, counselors):
    task = Task.objects.filter(assignee=_counselor_user(opened)).first()
    other = browser_as(counselors["washington_vi"].user)
    assert other.post(f"/staff/crisis/tasks/{task.pk}/claim/").status_code == 404


def test_the_student_card_shows_authorized_adults_and_is_logged(opened, lopez_family):
    mine = _counselor_user(opened)
    student = opened.students.first()
    response = browser_as(mine).get(f"/staff/crisis/students/{student.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Rosa Diaz" in page
    assert AccessLogEntry.objects.filter(actor=mine, object_type__startswith="reunify.").exists()


def test_the_task_list_query_count_does_not_grow_with_tasks(crisis_lead, lopez_family, counselors):
    case = case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk]).case
    mine = _counselor_user(case)
    client = browser_as(mine)
    client.get("/staff/crisis/tasks/live/")
    with CaptureQueriesContext(connection) as before:
        client.get("/staff/crisis/tasks/live/")
    for _ in range(2):
        mother = PersonFactory(preferred_language="es")
        child = StudentFactory(school=lopez_family.children[0].school)
        StudentContactFactory(student=child, person=mother, emergency_priority=None)
        case_open(actor=crisis_lead, guardian_ids=[mother.pk])
    more = Task.objects.filter(assignee=mine).count()
    with CaptureQueriesContext(connection) as after:
        client.get("/staff/crisis/tasks/live/")
    assert more > 5
    assert len(after) == len(before)


def test_signed_out_visitors_go_to_the_staff_sign_in(db):
    response = Client().get("/staff/crisis/")
    assert response.status_code == 302
    assert "/portal/staff/login/" in response["Location"]
