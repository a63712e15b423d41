"""Reaching a pickup adult: replies, the wait, the periodic tick, manual calls, nobody left,
placement, and a reply that collides with a campaign message."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Message
from alerts.registry import FallbackExhausted
from alerts.services import inbound_receive, message_queue
from contacts.models import StudentContact
from privacy.errors import Conflict
from privacy.models import Disclosure, DisclosureBasis
from reunify.models import CaseStudent, Outreach, Placement, Task, TimelineEntry
from reunify.services import (
    case_open,
    outreach_call_log,
    outreach_tick,
    pickup_unreachable,
    placement_record,
)

pytestmark = pytest.mark.django_db

AUNT = "+13125550111"


@pytest.fixture
def opened(crisis_lead, lopez_family, counselors, django_capture_on_commit_callbacks):
    # On commit the console transport "sends" the request (status sent), as a worker would.
    with django_capture_on_commit_callbacks(execute=True):
        case = case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk]).case
    return case


def _reply(address: str, body: str, sid: str, capture):
    with capture(execute=True):
        return inbound_receive(provider_id=sid, from_address=address, body=body)


def test_yes_marks_the_adult_coming_and_completes_reach_adult(
    opened, lopez_family, django_capture_on_commit_callbacks
):
    assert Message.objects.get(address=AUNT).status == Message.Status.SENT
    result = _reply(AUNT, "Sí", "SM1", django_capture_on_commit_callbacks)
    assert result.outcome == "routed"
    aunt = opened.outreach.get(person=lopez_family.aunt)
    assert aunt.status == Outreach.Status.COMING
    students = opened.students.all()
    assert {cs.status for cs in students} == {CaseStudent.Status.ADULT_COMING}
    assert {cs.coming_adult_id for cs in students} == {lopez_family.aunt.pk}
    reach = Task.objects.filter(case=opened, kind=Task.Kind.REACH_ADULT)
    assert set(reach.values_list("status", flat=True)) == {Task.Status.DONE}
    confirmation = Message.objects.get(template_key="reunify.pickup_confirmed")
    assert confirmation.address == AUNT
    assert TimelineEntry.objects.filter(case=opened, action="outreach.coming").exists()
    # A second YES changes nothing.
    _reply(AUNT, "yes", "SM2", django_capture_on_commit_callbacks)
    assert Message.objects.filter(template_key="reunify.pickup_confirmed").count() == 1


def test_no_moves_on_to_the_next_adult(opened, lopez_family, django_capture_on_commit_callbacks):
    _reply(AUNT, "NO", "SM1", django_capture_on_commit_callbacks)
    assert opened.outreach.get(person=lopez_family.aunt).status == Outreach.Status.DECLINED
    asked = opened.outreach.get(status=Outreach.Status.ASKED)
    assert asked.person_id == lopez_family.grandmother.pk
    # The grandmother's phone takes no SMS: a voice call.
    assert Message.objects.get(recipient_person_id=lopez_family.grandmother.pk).channel == "voice"


def test_tick_moves_on_only_after_the_wait_and_only_once(opened, lopez_family):
    assert outreach_tick() == {"no_answer": 0, "unreachable": 0}
    later = timezone.now() + timedelta(minutes=16)
    assert outreach_tick(now=later)["no_answer"] == 1
    assert outreach_tick(now=later)["no_answer"] == 0
    assert opened.outreach.get(person=lopez_family.aunt).status == Outreach.Status.NO_ANSWER
    assert opened.outreach.get(status=Outreach.Status.ASKED).person_id == (
        lopez_family.grandmother.pk
    )
    assert Message.objects.filter(recipient_person_id=lopez_family.grandmother.pk).count() == 1


def test_every_adult_tried_gives_the_lead_a_task_then_placement_is_allowed(
    opened, lopez_family, crisis_lead
):
    cs = opened.students.first()
    with pytest.raises(Conflict) as caught:
        placement_record(actor=crisis_lead, case_student=cs, placed_with="County", reason="x")
    assert caught.value.code == "adults_left"
    later = timezone.now() + timedelta(minutes=16)
    outreach_tick(now=later)
    outreach_tick(now=later + timedelta(minutes=16))
    tasks = Task.objects.filter(case=opened, kind=Task.Kind.NOBODY_REACHABLE)
    assert tasks.count() == 3
    task = tasks.first()
    assert task.assignee == crisis_lead and task.notes.startswith("Nobody reachable for")
    assert [a["person"] for a in task.data["attempts"]] == [
        lopez_family.aunt.pk,
        lopez_family.grandmother.pk,
    ]
    placement = placement_record(
        actor=crisis_lead, case_student=cs, placed_with="County child welfare", reason="no adult"
    )
    assert Placement.objects.get().pk == placement.pk
    cs.refresh_from_db()
    assert cs.status == CaseStudent.Status.PLACED
    assert TimelineEntry.objects.filter(case=opened, action="outreach.exhausted").count() == 3


def test_staff_call_counts_like_a_reply(opened, lopez_family, counselors):
    counselor = counselors["lincoln_es"].user
    outreach_call_log(
        actor=counselor,
        case=opened,
        person_id=lopez_family.aunt.pk,
        outcome="declined",
        note="at work",
    )
    assert opened.outreach.get(status=Outreach.Status.ASKED).person_id == (
        lopez_family.grandmother.pk
    )
    with pytest.raises(Conflict):
        outreach_call_log(
            actor=counselor, case=opened, person_id=lopez_family.aunt.pk, outcome="no_answer"
        )
    entry = TimelineEntry.objects.get(case=opened, action="outreach.declined")
    assert entry.actor == counselor and "at work" in entry.text


def test_fallback_exhausted_counts_as_unreachable(opened, lopez_family):
    message = Message.objects.get(address=AUNT)
    pickup_unreachable(
        FallbackExhausted(
            message_id=message.pk,
            flow="reunify.pickup",
            recipient_person_id=None,
            reason="invalid_address",
        )
    )
    assert opened.outreach.get(person=lopez_family.aunt).status == Outreach.Status.UNREACHABLE
    assert opened.outreach.get(status=Outreach.Status.ASKED).person_id == (
        lopez_family.grandmother.pk
    )


def test_tick_moves_on_when_every_message_failed(opened, lopez_family):
    Message.objects.filter(address=AUNT).update(status=Message.Status.FAILED)
    assert outreach_tick()["unreachable"] == 1
    assert opened.outreach.get(person=lopez_family.aunt).status == Outreach.Status.UNREACHABLE


def test_closed_case_asks_nobody_more(opened, crisis_lead, lopez_family):
    from reunify.services import case_close

    case_close(actor=crisis_lead, case=opened)
    outreach_tick(now=timezone.now() + timedelta(hours=1))
    assert not Message.objects.filter(recipient_person_id=lopez_family.grandmother.pk).exists()


def test_yes_goes_to_the_pickup_request_even_after_a_newer_campaign_message(
    opened, lopez_family, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message_queue(
            channel="sms",
            address=AUNT,
            purpose="campaign.verify",
            template_key="campaign.verify",
            language="en",
            context={"link": "https://x.example/p"},
            idempotency_key="camp-1",
            reply_flow="contacts.campaign",
        )
    _reply(AUNT, "YES", "SM9", django_capture_on_commit_callbacks)
    assert opened.outreach.get(person=lopez_family.aunt).status == Outreach.Status.COMING


def test_asking_an_adult_who_is_no_guardian_is_in_the_record_of_disclosures(
    opened, lopez_family, django_capture_on_commit_callbacks
):
    aunt = opened.outreach.get(person=lopez_family.aunt)
    records = Disclosure.objects.filter(source_type="reunify.outreach", source_id=aunt.pk)
    # One record per child she was asked to come for: the children she is listed for.
    listed = set(
        StudentContact.objects.filter(person=lopez_family.aunt).values_list("student_id", flat=True)
    )
    assert set(records.values_list("student_id", flat=True)) == listed and listed
    for record in records:
        assert record.party == "Rosa Diaz" and record.basis == DisclosureBasis.LISTED_CONTACT
        assert "picked up today" in record.what
    # Nobody else was asked yet, so nobody else was told.
    assert not Disclosure.objects.exclude(source_id=aunt.pk).exists()

    _reply(AUNT, "NO", "SM1", django_capture_on_commit_callbacks)
    grandmother = opened.outreach.get(person=lopez_family.grandmother)
    assert Disclosure.objects.filter(
        source_type="reunify.outreach", source_id=grandmother.pk
    ).exists()
