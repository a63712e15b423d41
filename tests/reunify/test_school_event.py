"""School events: every active student of the school, one notice per guardian in their
language with a check-in link, check-in ahead, accountability, older students leaving alone,
closing and the acceptance scenario's high-school part."""

import pytest
from django.core import signing

from alerts.models import Message
from privacy.errors import Conflict, DomainError
from reunify.models import Accounting, Case, CaseStudent, EventCheckIn, Release
from reunify.selectors_release import checkin_queue, unaccounted
from reunify.services.events import (
    checkin_token,
    event_checkin,
    school_event_open,
    student_account,
)
from tests.factories import (
    PersonFactory,
)

from .release_helpers import release

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(crisis_lead, high_school, event_family):
    return school_event_open(
        actor=crisis_lead, school=high_school, site="Riverside Stadium", when="from 2:30 pm"
    ).case


def test_event_covers_every_active_student_and_notifies_each_guardian_once(event, event_family):
    assert event.kind == Case.Kind.SCHOOL_EVENT
    assert event.students.count() == 3
    notices = Message.objects.filter(template_key="reunify.event_notice", cause_id=event.pk)
    assert notices.count() == 2
    to_mother = notices.get(recipient_person_id=event_family["mother"].pk)
    assert to_mother.language == "vi" and to_mother.lane == "emergency"
    assert "Minh Nguyen" in to_mother.body and "Hoa Nguyen" in to_mother.body
    assert "/reunify/checkin/" in to_mother.body
    assert "Riverside Stadium" in to_mother.body
    # No per-family outreach and no tasks at a reunification site.
    assert not event.outreach.exists() and not event.tasks.exists()
    siblings = event.students.filter(student__in=[event_family["older"], event_family["younger"]])
    assert len({cs.family for cs in siblings}) == 1


def test_opening_twice_gives_the_same_event(crisis_lead, high_school, event):
    again = school_event_open(actor=crisis_lead, school=high_school)
    assert again.case.pk == event.pk and not again.created


def test_only_a_lead_opens_an_event(lincoln_staff, high_school, event_family):
    with pytest.raises(DomainError) as denied:
        school_event_open(actor=lincoln_staff, school=high_school)
    assert denied.value.status == 403


def test_an_unknown_school_is_refused(crisis_lead):
    with pytest.raises(DomainError) as bad:
        school_event_open(actor=crisis_lead, school=999999)
    assert bad.value.field == "school"


def test_a_drill_event_never_messages_a_family(crisis_lead, high_school, event_family):
    crisis_lead.email = "lead@district.example.org"
    crisis_lead.save()
    case = school_event_open(actor=crisis_lead, school=high_school, drill=True).case
    messages = Message.objects.filter(cause_id=case.pk)
    assert messages.count() == 1
    assert messages.get().address == "lead@district.example.org"
    assert f"DRILL-{case.pk}" in messages.get().body


def test_a_parent_checks_in_ahead_from_the_link(event, event_family):
    token = checkin_token(event, event_family["mother"].pk)
    checkin = event_checkin(
        token=token, students=[event_family["older"].pk, event_family["younger"].pk], eta_minutes=20
    )
    assert checkin.eta_minutes == 20
    queue = list(checkin_queue(event))
    assert [c.person_id for c in queue] == [event_family["mother"].pk]
    assert len(queue[0].students.all()) == 2
    # Checking in again replaces the first.
    event_checkin(token=token, students=[event_family["older"].pk], eta_minutes=5)
    assert EventCheckIn.objects.count() == 1


def test_a_check_in_is_only_for_ones_own_children_and_a_valid_link(event, event_family):
    token = checkin_token(event, event_family["mother"].pk)
    with pytest.raises(DomainError) as bad:
        event_checkin(token=token, students=[event_family["other"].pk], eta_minutes=10)
    assert bad.value.code == "not_your_child"
    with pytest.raises(DomainError) as forged:
        event_checkin(token=token + "x", students=[event_family["older"].pk], eta_minutes=10)
    assert forged.value.code == "bad_link"
    other_salt = signing.dumps({"c": event.pk, "p": event_family["mother"].pk})
    with pytest.raises(DomainError):
        event_checkin(token=other_salt, students=[event_family["older"].pk], eta_minutes=1)
    with pytest.raises(DomainError) as eta:
        event_checkin(token=token, students=[event_family["older"].pk], eta_minutes=-1)
    assert eta.value.field == "eta_minutes"


def test_check_in_proves_nothing_the_desk_still_checks(event, event_family, crisis_lead):
    stranger = PersonFactory(first_name="Not", last_name="Listed")
    with pytest.raises(Conflict) as refused:
        release(crisis_lead, event, event_family["younger"], person=stranger)
    assert refused.value.code == "release_not_authorized"


def test_accountability_and_who_is_still_unaccounted(event, event_family, crisis_lead):
    student_account(actor=crisis_lead, case=event, student=event_family["older"], status="present")
    student_account(
        actor=crisis_lead,
        case=event,
        student=event_family["younger"],
        status="transported",
        note="Mercy Hospital",
    )
    left = [cs.student_id for cs in unaccounted(crisis_lead, event)]
    assert left == [event_family["other"].pk]
    student_account(actor=crisis_lead, case=event, student=event_family["other"], status="absent")
    cs = CaseStudent.objects.get(case=event, student=event_family["other"])
    assert cs.status == CaseStudent.Status.ABSENT
    assert not unaccounted(crisis_lead, event).exists()
    assert Accounting.objects.filter(case=event).count() == 3
    with pytest.raises(DomainError) as bad:
        student_account(actor=crisis_lead, case=event, student=event_family["older"], status="gone")
    assert bad.value.field == "status"
    with pytest.raises(DomainError) as where:
        student_account(
            actor=crisis_lead, case=event, student=event_family["older"], status="transported"
        )
    assert where.value.field == "note"


def test_an_11th_grader_leaves_alone_with_approval_and_a_9th_grader_cannot(
    event, event_family, crisis_lead, settings
):
    settings.REUNIFY_SELF_RELEASE_GRADE = 11
    with pytest.raises(Conflict) as needs:
        release(
            crisis_lead,
            event,
            event_family["older"],
            self_release=True,
            identity="",
            signature_initials="MN",
        )
    assert needs.value.code == "release_needs_approval"
    rel = release(
        crisis_lead,
        event,
        event_family["older"],
        self_release=True,
        identity="",
        signature_initials="MN",
        approval_note="Minh drives; his mother said so at the desk.",
    ).release
    assert rel.authorization == "self_release" and rel.person is None
    assert rel.self_release_approval.approved_by == crisis_lead
    with pytest.raises(Conflict) as younger:
        release(
            crisis_lead,
            event,
            event_family["younger"],
            self_release=True,
            identity="",
            signature_initials="HN",
            approval_note="She asks to walk home.",
        )
    assert younger.value.code == "release_not_authorized"
    assert "grade 11" in younger.value.message
    assert Release.objects.filter(case_student__student=event_family["younger"]).count() == 0


def test_self_release_is_off_by_default(event, event_family, crisis_lead):
    with pytest.raises(Conflict) as off:
        release(
            crisis_lead,
            event,
            event_family["older"],
            self_release=True,
            identity="",
            signature_initials="MN",
            approval_note="ok",
        )
    assert off.value.code == "release_not_authorized"


def test_event_opens_through_the_api(api_as, crisis_lead, high_school, event_family):
    response = api_as(crisis_lead).post(
        "/api/v1/cases/",
        {"kind": "school_event", "school": high_school.pk, "site": "Stadium"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "school_event" and len(body["students"]) == 3
    assert body["guardians_notified"] == 2


def test_public_check_in_link_through_the_api(api, event, event_family):
    token = checkin_token(event, event_family["mother"].pk)
    seen = api.get(f"/api/v1/checkin/{token}/")
    assert seen.status_code == 200
    assert {c["name"] for c in seen.json()["children"]} == {"Minh Nguyen", "Hoa Nguyen"}
    posted = api.post(
        f"/api/v1/checkin/{token}/",
        {"students": [event_family["older"].pk], "eta_minutes": 15},
        format="json",
    )
    assert posted.status_code == 201
    assert api.get("/api/v1/checkin/nonsense/").status_code == 400


def test_accountability_and_queue_through_the_api(api_as, crisis_lead, event, event_family):
    client = api_as(crisis_lead)
    marked = client.post(
        f"/api/v1/cases/{event.pk}/accountability/",
        {"student": event_family["older"].pk, "status": "with_nurse"},
        format="json",
    )
    assert marked.status_code == 201
    left = client.get(f"/api/v1/cases/{event.pk}/accountability/").json()
    assert {row["student"] for row in left} == {
        event_family["younger"].pk,
        event_family["other"].pk,
    }
    desk = client.post(
        f"/api/v1/cases/{event.pk}/checkins/",
        {
            "person": event_family["father"].pk,
            "students": [event_family["other"].pk],
            "eta_minutes": 0,
        },
        format="json",
    )
    assert desk.status_code == 201
    assert [c["name"] for c in client.get(f"/api/v1/cases/{event.pk}/checkins/").json()] == [
        "Jorge Ruiz"
    ]


def test_event_closes_itself_when_every_student_is_released_or_absent(
    event, event_family, crisis_lead
):
    release(crisis_lead, event, event_family["older"], person=event_family["mother"])
    release(crisis_lead, event, event_family["younger"], person=event_family["mother"])
    student_account(actor=crisis_lead, case=event, student=event_family["other"], status="absent")
    event.refresh_from_db()
    assert event.status == Case.Status.CLOSED
