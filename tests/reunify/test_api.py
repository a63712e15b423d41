"""The reunify API: shapes, errors, 404 for other actors, the access log and query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from privacy.models import AccessLogEntry
from reunify.models import Case, Task
from reunify.services import case_open
from tests.factories import PersonFactory, StudentContactFactory, StudentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def opened(crisis_lead, lopez_family, counselors):
    return case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk]).case


def test_open_returns_201_with_the_case(api_as, crisis_lead, lopez_family, counselors):
    response = api_as(crisis_lead).post(
        "/api/v1/cases/",
        {"kind": "guardian_unavailable", "guardians": [lopez_family.mother.pk], "drill": False},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {"id", "kind", "status", "opened_at", "drill", "students"} <= set(body)
    assert body["kind"] == "guardian_unavailable" and body["status"] == "open"
    assert {s["student"] for s in body["students"]} == {c.pk for c in lopez_family.children}
    assert {s["counselor"] for s in body["students"]} == {counselors["lincoln_es"].user_id}
    assert {"student", "school", "counselor", "status"} <= set(body["students"][0])


def test_retry_with_the_same_idempotency_key_gives_the_same_case(
    api_as, crisis_lead, lopez_family, counselors
):
    client = api_as(crisis_lead)
    body = {"guardians": [lopez_family.mother.pk]}
    first = client.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    second = client.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("guardians", "code"),
    [([], "required"), ([987654], "unknown_person"), ("nope", "invalid")],
)
def test_bad_guardians_are_a_400_naming_the_field(api_as, crisis_lead, guardians, code):
    response = api_as(crisis_lead).post("/api/v1/cases/", {"guardians": guardians}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert "guardians" in body["message"]


def test_person_who_is_nobodys_guardian_is_a_400(api_as, crisis_lead):
    adult = PersonFactory()
    response = api_as(crisis_lead).post("/api/v1/cases/", {"guardians": [adult.pk]}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "not_a_guardian"
    assert response.json()["extra"]["field"] == "guardians"


def test_preview_writes_nothing(api_as, crisis_lead, lopez_family):
    response = api_as(crisis_lead).post(
        "/api/v1/cases/preview/", {"guardians": [lopez_family.mother.pk]}, format="json"
    )
    assert response.status_code == 200
    assert len(response.json()["students"]) == 3
    assert Case.objects.count() == 0


def test_school_staff_may_not_open(api_as, lincoln_staff, lopez_family):
    response = api_as(lincoln_staff).post(
        "/api/v1/cases/", {"guardians": [lopez_family.mother.pk]}, format="json"
    )
    assert response.status_code == 403
    assert Case.objects.count() == 0


def test_case_is_404_for_staff_of_an_unrelated_school_and_unassigned_counselors(
    api_as, opened, lincoln_staff, counselors
):
    other_school_staff = UserFactory(roles=["school_staff"], schools=[StudentFactory().school])
    assert api_as(other_school_staff).get(f"/api/v1/cases/{opened.pk}/").status_code == 404
    other = counselors["washington_vi"].user
    assert api_as(other).get(f"/api/v1/cases/{opened.pk}/").status_code == 404
    assert api_as(lincoln_staff).get(f"/api/v1/cases/{opened.pk}/").status_code == 200
    mine = counselors["lincoln_es"].user
    assert api_as(mine).get(f"/api/v1/cases/{opened.pk}/").status_code == 200


def test_viewing_a_case_is_written_to_the_access_log(api_as, crisis_lead, opened):
    api_as(crisis_lead).get(f"/api/v1/cases/{opened.pk}/")
    assert AccessLogEntry.objects.filter(
        actor=crisis_lead, action="reunify.case.viewed", object_id=str(opened.pk)
    ).exists()


def test_close_twice_is_a_409(api_as, crisis_lead, opened):
    client = api_as(crisis_lead)
    assert client.post(f"/api/v1/cases/{opened.pk}/close/", {"note": "done"}).status_code == 200
    second = client.post(f"/api/v1/cases/{opened.pk}/close/", {})
    assert second.status_code == 409 and second.json()["code"] == "already_closed"


def test_counselor_sees_own_tasks_and_completing_twice_is_a_409(api_as, opened, counselors):
    counselor = counselors["lincoln_es"].user
    client = api_as(counselor)
    tasks = client.get("/api/v1/tasks/").json()["results"]
    assert len(tasks) == 15 and {t["assignee"] for t in tasks} == {counselor.pk}
    assert tasks[0]["priority"] == 1
    check_in = next(t for t in tasks if t["kind"] == "check_in")
    done = client.post(f"/api/v1/tasks/{check_in['id']}/complete/", {"notes": "ok"})
    assert done.status_code == 200 and done.json()["status"] == "done"
    again = client.post(f"/api/v1/tasks/{check_in['id']}/complete/", {})
    assert again.status_code == 409
    assert again.json()["code"] == "already_completed"
    assert counselor.username in again.json()["message"]


def test_another_counselors_task_is_404(api_as, opened, counselors):
    task = Task.objects.filter(case=opened).first()
    stranger = counselors["washington_vi"].user
    assert api_as(stranger).post(f"/api/v1/tasks/{task.pk}/complete/", {}).status_code == 404


def test_reassign_is_for_the_lead_only(api_as, opened, counselors, crisis_lead):
    task = Task.objects.filter(case=opened, kind="check_in").first()
    target = counselors["lincoln_en"].user
    counselor = api_as(counselors["lincoln_es"].user)
    denied = counselor.post(f"/api/v1/tasks/{task.pk}/reassign/", {"assignee": target.pk})
    assert denied.status_code == 403
    ok = api_as(crisis_lead).post(f"/api/v1/tasks/{task.pk}/reassign/", {"assignee": target.pk})
    assert ok.status_code == 200 and ok.json()["assignee"] == target.pk


def test_call_log_counts_like_a_reply(api_as, opened, lopez_family, counselors):
    client = api_as(counselors["lincoln_es"].user)
    response = client.post(
        f"/api/v1/cases/{opened.pk}/calls/",
        {"person": lopez_family.aunt.pk, "outcome": "coming", "note": "on her way"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()[0]["status"] == "coming"
    assert not Task.objects.filter(case=opened, kind="reach_adult", status="open").exists()
    unknown = client.post(
        f"/api/v1/cases/{opened.pk}/calls/",
        {"person": lopez_family.uncle.pk, "outcome": "coming"},
        format="json",
    )
    assert unknown.status_code == 400 and unknown.json()["extra"]["field"] == "person"


def test_timeline_lists_the_attempts(api_as, crisis_lead, opened):
    body = api_as(crisis_lead).get(f"/api/v1/cases/{opened.pk}/timeline/").json()
    actions = [entry["action"] for entry in body["results"]]
    assert actions[0] == "case.opened" and "outreach.asked" in actions


def _open_family(lead, school, children: int):
    mum = PersonFactory()
    for _ in range(children):
        StudentContactFactory(student=StudentFactory(school=school), person=mum)
    return case_open(actor=lead, guardian_ids=[mum.pk]).case


def test_case_list_query_count_does_not_grow(api_as, crisis_lead, lincoln, counselors):
    client = api_as(crisis_lead)
    _open_family(crisis_lead, lincoln, 1)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/cases/").status_code == 200
    for _ in range(4):
        _open_family(crisis_lead, lincoln, 2)
    with CaptureQueriesContext(connection) as five:
        assert len(client.get("/api/v1/cases/").json()["results"]) == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_task_list_query_count_does_not_grow(api_as, crisis_lead, lincoln, counselors):
    counselor = counselors["lincoln_en"].user
    client = api_as(counselor)
    _open_family(crisis_lead, lincoln, 1)
    client.get("/api/v1/tasks/")  # the user's roles are read once, then cached on the user
    with CaptureQueriesContext(connection) as few:
        assert len(client.get("/api/v1/tasks/").json()["results"]) == 5
    _open_family(crisis_lead, lincoln, 1)
    _open_family(crisis_lead, lincoln, 1)
    with CaptureQueriesContext(connection) as more:
        assert len(client.get("/api/v1/tasks/").json()["results"]) > 5
    assert len(more.captured_queries) == len(few.captured_queries)


def test_case_open_query_count_is_the_same_for_one_and_six_children(
    api_as, crisis_lead, lincoln, washington, counselors
):
    client = api_as(crisis_lead)
    client.get("/api/v1/cases/")  # the user's roles are read once, then cached on the user
    counts = []
    for n in (1, 6):
        mum = PersonFactory()
        aunt = PersonFactory()
        for i in range(n):
            child = StudentFactory(school=lincoln if i % 2 else washington)
            StudentContactFactory(student=child, person=mum, emergency_priority=1)
            StudentContactFactory(
                student=child, person=aunt, legal_guardian=False, emergency_priority=2
            )
        with CaptureQueriesContext(connection) as ctx:
            response = client.post("/api/v1/cases/", {"guardians": [mum.pk]}, format="json")
        assert response.status_code == 201
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
