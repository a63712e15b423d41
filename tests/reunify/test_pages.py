"""The crisis team's staff pages through Django's test client: open a case (search, preview,
confirm), the dashboard, a counselor's task list, the student card and the printable cards;
404 for what an actor may not see, the access log, query counts, and errors in the staff
member's language."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.portal.models import PreparednessPlan
from privacy.models import AccessLogEntry
from privacy.roles import Role
from reunify.models import Case, CaseStudent, Outreach, Task
from reunify.services import case_open, task_complete
from tests.factories import PersonFactory, StudentContactFactory, StudentFactory, UserFactory

from .factories import CounselorProfileFactory, SupportResourceFactory

pytestmark = pytest.mark.django_db

KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


@pytest.fixture
def opened(crisis_lead, lopez_family, counselors):
    return case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk]).case


@pytest.fixture
def counselor(opened, counselors):
    """The counselor the Lopez children were given (the Spanish speaker at Lincoln)."""
    return counselors["lincoln_es"].user


def _text(response) -> str:
    return response.content.decode()


# --- open a case ------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["maria lop", "312-555-0101", "(312) 555 0101"])
def test_lead_finds_the_guardian_by_name_or_phone(client_for, crisis_lead, lopez_family, query):
    response = client_for(crisis_lead).get("/staff/crisis/cases/open/", {"q": query})
    assert response.status_code == 200
    page = _text(response)
    assert f'value="{lopez_family.mother.pk}"' in page
    assert "Maria Lopez" in page and "Ana Lopez (Lincoln Elementary)" in page


def test_search_finds_by_email(client_for, crisis_lead, parent_of_three):
    response = client_for(crisis_lead).get(
        "/staff/crisis/cases/open/", {"q": "Maria.Lopez@example.org"}
    )
    assert f'value="{parent_of_three.guardian.pk}"' in _text(response)


def test_preview_shows_each_child_and_writes_nothing(client_for, crisis_lead, lopez_family):
    response = client_for(crisis_lead).post(
        "/staff/crisis/cases/open/preview/", {"guardians": [lopez_family.mother.pk]}
    )
    assert response.status_code == 200
    page = _text(response)
    for name, school in [
        ("Ana Lopez", "Lincoln Elementary"),
        ("Luis Lopez", "Lincoln Elementary"),
        ("Sofia Lopez", "Washington Middle School"),
    ]:
        assert name in page and school in page
    assert "<td>07</td>" in page
    assert KEY.search(page)
    assert Case.objects.count() == 0


def test_confirming_twice_gives_one_case(client_for, crisis_lead, lopez_family, counselors):
    client = client_for(crisis_lead)
    preview = client.post(
        "/staff/crisis/cases/open/preview/", {"guardians": [lopez_family.mother.pk]}
    )
    key = KEY.search(_text(preview)).group(1)
    form = {"guardians": [lopez_family.mother.pk], "idempotency_key": key, "drill": "on"}
    first = client.post("/staff/crisis/cases/open/confirm/", form)
    second = client.post("/staff/crisis/cases/open/confirm/", form)
    case = Case.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/staff/crisis/#case-{case.pk}"
    assert case.drill and case.students.count() == 3
    dashboard = client.get("/staff/crisis/")
    assert "DRILL" in _text(dashboard)


def test_preview_without_a_guardian_is_a_400_in_spanish(client_for, crisis_lead):
    response = client_for(crisis_lead, "es").post("/staff/crisis/cases/open/preview/", {})
    assert response.status_code == 400
    assert "Elija al menos un adulto no disponible." in _text(response)


def test_unknown_adult_is_a_400_in_spanish(client_for, crisis_lead):
    response = client_for(crisis_lead, "es").post(
        "/staff/crisis/cases/open/preview/", {"guardians": ["987654"]}
    )
    assert response.status_code == 400
    assert "Uno de los adultos elegidos ya no existe." in _text(response)
    assert Case.objects.count() == 0


def test_adult_who_is_nobodys_guardian_is_a_400(client_for, crisis_lead):
    adult = PersonFactory()
    response = client_for(crisis_lead).post(
        "/staff/crisis/cases/open/preview/", {"guardians": [adult.pk]}
    )
    assert response.status_code == 400
    assert "is no active student&#x27;s legal guardian" in _text(response)


def test_a_non_number_guardian_is_a_400(client_for, crisis_lead):
    response = client_for(crisis_lead).post(
        "/staff/crisis/cases/open/confirm/", {"guardians": ["x"], "idempotency_key": "k"}
    )
    assert response.status_code == 400
    assert "Choose from the list." in _text(response)


@pytest.mark.parametrize("who", ["counselor_at_lincoln", "lincoln_staff"])
def test_open_a_case_does_not_exist_for_others(client_for, request, who, lopez_family):
    client = client_for(request.getfixturevalue(who))
    assert client.get("/staff/crisis/cases/open/").status_code == 404
    response = client.post(
        "/staff/crisis/cases/open/confirm/",
        {"guardians": [lopez_family.mother.pk], "idempotency_key": "k"},
    )
    assert response.status_code == 404
    assert Case.objects.count() == 0


def test_signed_out_visitor_is_sent_to_the_staff_sign_in(lopez_family):
    response = Client().get("/staff/crisis/")
    assert response.status_code == 302 and "/portal/staff/" in response["Location"]


# --- the dashboard ----------------------------------------------------------------------------


def test_dashboard_shows_every_student_with_status_counselor_and_counts(
    client_for, crisis_lead, opened, counselor
):
    response = client_for(crisis_lead).get("/staff/crisis/")
    assert response.status_code == 200
    page = _text(response)
    assert f'id="case-{opened.pk}"' in page
    for cs in opened.students.all():
        assert f'id="cs-{cs.pk}"' in page
    assert 'hx-trigger="every 5s"' in page
    # The aunt was asked at once: every child's status says so.
    assert "Adult contacted: <strong>3</strong>" in page
    assert counselor.get_username() in page


def test_dashboard_part_refreshes_with_the_new_status(client_for, crisis_lead, opened, counselor):
    cs = opened.students.order_by("id").first()
    check_in = cs.tasks.get(kind=Task.Kind.CHECK_IN)
    task_complete(actor=counselor, task=check_in)
    response = client_for(crisis_lead).get("/staff/crisis/live/", HTTP_HX_REQUEST="true")
    page = _text(response)
    assert page.startswith('<div id="dashboard-live"')
    assert "<html" not in page
    assert re.search(rf'id="cs-{cs.pk}">.*?class="checked-in"><time', page, re.S)


def test_overdue_tasks_are_shown(client_for, crisis_lead, opened):
    Task.objects.filter(case=opened, kind=Task.Kind.CHECK_IN).update(
        due_at=timezone.now() - timezone.timedelta(minutes=1)
    )
    page = _text(client_for(crisis_lead).get("/staff/crisis/"))
    assert "Overdue: 3" in page


def test_school_staff_see_only_their_schools_students(client_for, washington_staff, opened):
    page = _text(client_for(washington_staff).get("/staff/crisis/"))
    assert "Sofia Lopez" in page
    assert "Ana Lopez" not in page and "Luis Lopez" not in page
    assert "Close the case" not in page


def test_dashboard_views_are_in_the_access_log(client_for, crisis_lead, opened):
    client_for(crisis_lead).get("/staff/crisis/")
    assert AccessLogEntry.objects.filter(
        actor=crisis_lead, action="reunify.case.viewed", object_id=str(opened.pk)
    ).exists()


def _another_family(school, name: str):
    mother = PersonFactory(first_name=name, last_name="Other")
    for first in ("One", "Two"):
        child = StudentFactory(first_name=first, last_name=name, school=school)
        StudentContactFactory(student=child, person=mother, emergency_priority=1)
    return mother


def test_dashboard_queries_do_not_grow_with_cases_or_students(
    client_for, crisis_lead, opened, lincoln
):
    client = client_for(crisis_lead)
    client.get("/staff/crisis/live/")
    with CaptureQueriesContext(connection) as one:
        client.get("/staff/crisis/live/")
    for name in ("Kim", "Ngo", "Ali"):
        case_open(actor=crisis_lead, guardian_ids=[_another_family(lincoln, name).pk])
    with CaptureQueriesContext(connection) as four:
        response = client.get("/staff/crisis/live/")
    assert _text(response).count('class="card case"') == 4
    assert len(four.captured_queries) == len(one.captured_queries)


def test_closing_a_case(client_for, crisis_lead, opened):
    client = client_for(crisis_lead)
    response = client.post(f"/staff/crisis/cases/{opened.pk}/close/", {"note": "drill over"})
    assert response.status_code == 302
    opened.refresh_from_db()
    assert opened.status == Case.Status.CLOSED and opened.close_note == "drill over"
    again = client.post(f"/staff/crisis/cases/{opened.pk}/close/", {"note": "x"}, follow=True)
    assert "This case was already closed." in _text(again)


def test_closing_with_students_in_care_needs_a_reason_as_in_the_api(
    client_for, crisis_lead, opened
):
    response = client_for(crisis_lead, "es").post(
        f"/staff/crisis/cases/{opened.pk}/close/", {"note": "  "}, follow=True
    )
    assert Case.objects.get(pk=opened.pk).is_open
    assert "indique un motivo para cerrar" in _text(response)


def test_closing_is_a_404_for_a_counselor_of_another_case(client_for, opened, lincoln):
    other = CounselorProfileFactory(schools=[lincoln]).user
    response = client_for(other).post(f"/staff/crisis/cases/{opened.pk}/close/", {"note": ""})
    assert response.status_code == 404
    assert Case.objects.get(pk=opened.pk).is_open


def test_case_page_has_the_timeline_and_is_a_404_for_others(
    client_for, crisis_lead, opened, lincoln
):
    page = _text(client_for(crisis_lead).get(f"/staff/crisis/cases/{opened.pk}/"))
    assert "Case opened: guardian unavailable, 3 student(s)" in page
    other = CounselorProfileFactory(schools=[lincoln]).user
    assert client_for(other).get(f"/staff/crisis/cases/{opened.pk}/").status_code == 404
    assert client_for(crisis_lead).get("/staff/crisis/cases/987654/").status_code == 404


def test_printable_cards_name_the_prohibited_adult_and_nothing_else_of_him(
    client_for, crisis_lead, opened, lopez_family
):
    response = client_for(crisis_lead).get(f"/staff/crisis/cases/{opened.pk}/cards/")
    page = _text(response)
    assert page.count('class="card print-card"') == 3
    assert page.count("Do not release to: Pedro Lopez") == 3
    assert "55 1234 5678" not in page  # the uncle's number
    assert "Rosa Diaz" in page and "(312) 555-0111" in page
    assert "Nora Next" not in page  # an emergency contact, not a pickup adult
    assert AccessLogEntry.objects.filter(action="reunify.student_card.printed").count() == 3


# --- the task list ----------------------------------------------------------------------------


def test_counselor_sees_only_their_own_tasks_most_urgent_first(
    client_for, opened, counselor, lincoln
):
    someone = CounselorProfileFactory(schools=[lincoln]).user
    Task.objects.filter(case=opened, kind=Task.Kind.FOLLOW_UP).update(assignee=someone)
    page = _text(client_for(counselor).get("/staff/crisis/tasks/"))
    mine = Task.objects.filter(assignee=counselor, status__in=Task.ACTIVE).order_by(
        "priority", "due_at", "id"
    )
    shown = [int(pk) for pk in re.findall(r'<li class="card task p\d" id="task-(\d+)"', page)]
    assert shown == [t.pk for t in mine]
    assert not set(shown) & set(Task.objects.filter(assignee=someone).values_list("pk", flat=True))
    assert "Lincoln Elementary" in page and "<time datetime=" in page


def test_task_list_queries_do_not_grow_with_tasks(
    client_for, opened, counselor, lincoln, crisis_lead
):
    client = client_for(counselor)
    client.get("/staff/crisis/tasks/live/")
    with CaptureQueriesContext(connection) as few:
        client.get("/staff/crisis/tasks/live/")
    for name in ("Kim", "Ngo"):
        case = case_open(actor=crisis_lead, guardian_ids=[_another_family(lincoln, name).pk]).case
        Task.objects.filter(case=case).update(assignee=counselor)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/staff/crisis/tasks/live/")
    assert _text(response).count('class="card task') > 20
    assert len(many.captured_queries) == len(few.captured_queries)


def test_completing_from_the_list_with_htmx_returns_the_row(client_for, opened, counselor):
    task = Task.objects.filter(assignee=counselor, kind=Task.Kind.CHECK_IN).first()
    response = client_for(counselor).post(
        f"/staff/crisis/tasks/{task.pk}/complete/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert _text(response).startswith(f'<li class="card task p1" id="task-{task.pk}"')
    task.refresh_from_db()
    assert task.status == Task.Status.DONE and task.completed_by == counselor


def test_completing_without_javascript_redirects_to_the_list(client_for, opened, counselor):
    task = Task.objects.filter(assignee=counselor, kind=Task.Kind.SUPPORT).first()
    client = client_for(counselor)
    assert client.post(f"/staff/crisis/tasks/{task.pk}/start/").status_code == 302
    response = client.post(f"/staff/crisis/tasks/{task.pk}/note/", {"notes": "called the aunt"})
    assert response.status_code == 302 and response["Location"] == "/staff/crisis/tasks/"
    task.refresh_from_db()
    assert task.status == Task.Status.IN_PROGRESS and task.notes == "called the aunt"


def test_completed_by_someone_else_says_who(client_for, opened, counselor, crisis_lead):
    crisis_lead.first_name, crisis_lead.last_name = "Lena", "Lead"
    crisis_lead.save()
    task = Task.objects.filter(assignee=counselor, kind=Task.Kind.CHECK_IN).first()
    client = client_for(counselor)
    task_complete(actor=crisis_lead, task=task)
    htmx = client.post(f"/staff/crisis/tasks/{task.pk}/complete/", HTTP_HX_REQUEST="true")
    assert "Already completed by Lena Lead." in _text(htmx)
    plain = client.post(f"/staff/crisis/tasks/{task.pk}/complete/")
    assert plain.status_code == 409
    assert "Already completed by Lena Lead." in _text(plain)


def test_completed_by_someone_else_in_spanish(client_for, opened, counselor, crisis_lead):
    task = Task.objects.filter(assignee=counselor, kind=Task.Kind.CHECK_IN).first()
    task_complete(actor=crisis_lead, task=task)
    response = client_for(counselor, "es").post(f"/staff/crisis/tasks/{task.pk}/complete/")
    assert response.status_code == 409
    assert "Ya lo completó crisis.lead." in _text(response)


def test_an_empty_note_is_a_400_naming_it(client_for, opened, counselor):
    task = Task.objects.filter(assignee=counselor).first()
    response = client_for(counselor).post(f"/staff/crisis/tasks/{task.pk}/note/", {"notes": " "})
    assert response.status_code == 400
    assert "Write a note (at most 2,000 characters)." in _text(response)


def test_another_counselors_task_is_a_404(client_for, opened, counselor, lincoln):
    task = Task.objects.filter(assignee=counselor).first()
    other = CounselorProfileFactory(schools=[lincoln]).user
    client = client_for(other)
    assert client.post(f"/staff/crisis/tasks/{task.pk}/complete/").status_code == 404
    assert client.post("/staff/crisis/tasks/987654/complete/").status_code == 404
    assert client.post(f"/staff/crisis/tasks/{task.pk}/explode/").status_code == 404
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN


# --- the student card -------------------------------------------------------------------------


@pytest.fixture
def cs(opened):
    return opened.students.get(student__first_name="Ana")


def test_student_card_shows_adults_outreach_plan_and_timeline(
    client_for, counselor, cs, lopez_family
):
    PreparednessPlan.objects.create(
        guardian=lopez_family.mother,
        standby_caregiver=lopez_family.grandmother,
        affidavit_on_file=True,
        affidavit_signed_on=timezone.localdate() - timezone.timedelta(days=400),
    )
    response = client_for(counselor).get(f"/staff/crisis/students/{cs.pk}/")
    assert response.status_code == 200
    page = _text(response)
    assert "Rosa Diaz" in page and '<bdi dir="ltr">(312) 555-0111</bdi>' in page
    assert "Carmen Lopez" in page and "carmen@example.org" in page
    assert "Do not release to: Pedro Lopez" in page
    assert "55 1234 5678" not in page and "Nora Next" not in page
    assert "Standby caregiver" in page and "Expired: releasing needs an override" in page
    assert "Asked, waiting for an answer" in page
    assert "Ana Lopez (Lincoln Elementary)" in page  # the timeline
    assert AccessLogEntry.objects.filter(
        actor=counselor, action="reunify.student_card.viewed", object_id=str(cs.pk)
    ).exists()


def test_a_fresh_affidavit_is_valid_on_the_card(client_for, counselor, cs, lopez_family):
    PreparednessPlan.objects.create(
        guardian=lopez_family.mother,
        standby_caregiver=lopez_family.grandmother,
        affidavit_on_file=True,
        affidavit_signed_on=timezone.localdate(),
    )
    page = _text(client_for(counselor).get(f"/staff/crisis/students/{cs.pk}/"))
    assert "Expired" not in page and "Valid" in page


@pytest.mark.parametrize("who", ["lincoln", "washington_staff", "data_team"])
def test_student_card_is_a_404_for_others(client_for, request, cs, who):
    if who == "lincoln":
        user = CounselorProfileFactory(schools=[request.getfixturevalue("lincoln")]).user
    elif who == "data_team":
        user = UserFactory(username="nobody.special")
    else:
        user = request.getfixturevalue(who)
    assert client_for(user).get(f"/staff/crisis/students/{cs.pk}/").status_code == 404


def test_logging_a_call_counts_like_a_reply(client_for, counselor, cs, lopez_family):
    client = client_for(counselor)
    response = client.post(
        f"/staff/crisis/students/{cs.pk}/call/",
        {"person": lopez_family.aunt.pk, "outcome": "coming", "note": "on her way"},
    )
    assert response.status_code == 302
    assert Outreach.objects.get(case=cs.case, person=lopez_family.aunt).status == "coming"
    assert CaseStudent.objects.get(pk=cs.pk).status == CaseStudent.Status.ADULT_COMING


def test_logging_a_call_to_the_uncle_is_refused_in_spanish(client_for, counselor, cs, lopez_family):
    response = client_for(counselor, "es").post(
        f"/staff/crisis/students/{cs.pk}/call/",
        {"person": lopez_family.uncle.pk, "outcome": "coming"},
    )
    assert response.status_code == 400
    assert "Escoja una opción válida." in _text(response)
    assert not Outreach.objects.filter(person=lopez_family.uncle).exists()


def test_sending_support_resources(client_for, counselor, cs, lopez_family):
    resource = SupportResourceFactory(name="Legal aid clinic")
    client = client_for(counselor)
    client.post(
        f"/staff/crisis/students/{cs.pk}/call/",
        {"person": lopez_family.aunt.pk, "outcome": "coming"},
    )
    empty = client.post(f"/staff/crisis/students/{cs.pk}/support/", {})
    assert empty.status_code == 400 and "Choose at least one resource." in _text(empty)
    response = client.post(f"/staff/crisis/students/{cs.pk}/support/", {"resources": [resource.pk]})
    assert response.status_code == 302
    assert cs.timeline.filter(action="support.sent").exists()


def test_start_pages_and_navigation(client_for, crisis_lead, counselor, lincoln_staff, opened):
    assert client_for(crisis_lead).get("/staff/")["Location"] == "/staff/crisis/"
    assert client_for(counselor).get("/staff/")["Location"] == "/staff/crisis/tasks/"
    lead_page = _text(client_for(crisis_lead).get("/staff/crisis/"))
    assert 'href="/staff/crisis/cases/open/"' in lead_page
    staff_page = _text(client_for(lincoln_staff).get("/staff/crisis/"))
    assert 'href="/staff/crisis/cases/open/"' not in staff_page
    assert UserFactory(username="x", roles=[Role.LEGAL]) is not None
