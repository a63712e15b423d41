"""Opening a case: who is covered, counselor assignment, tasks, the first outreach, idempotency
and bad input."""

import pytest
from django.utils import timezone

from alerts.models import Message
from privacy.errors import Conflict, DomainError
from privacy.models import AuditEntry
from reunify.models import Case, CaseStudent, CounselorProfile, Outreach, Task, TimelineEntry
from reunify.services import case_open, case_preview
from tests.factories import PersonFactory, StudentContactFactory, StudentFactory

pytestmark = pytest.mark.django_db


def test_acceptance_three_children_one_counselor_aunt_first(crisis_lead, lopez_family, counselors):
    result = case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk])

    case = result.case
    assert result.created
    students = list(case.students.order_by("student_id"))
    assert {cs.student_id for cs in students} == {c.pk for c in lopez_family.children}
    assert len({cs.counselor_id for cs in students}) == 1
    # Lincoln first (two of the three children), then Spanish: the mother's language.
    assert students[0].counselor_id == counselors["lincoln_es"].user_id
    asked = list(case.outreach.filter(status=Outreach.Status.ASKED))
    assert [o.person_id for o in asked] == [lopez_family.aunt.pk]
    planned = set(case.outreach.values_list("person_id", flat=True))
    assert lopez_family.uncle.pk not in planned
    assert lopez_family.neighbour.pk not in planned
    assert lopez_family.mother.pk not in planned
    message = Message.objects.get(recipient_person_id=lopez_family.aunt.pk)
    assert message.channel == "sms" and message.emergency and message.lane == "emergency"
    assert message.language == "es"
    assert "Lincoln Elementary, 100 Lincoln Way" in message.body
    assert "Washington Middle School, 200 Washington Ave" in message.body
    assert not Message.objects.filter(
        recipient_person_id__in=[lopez_family.uncle.pk, lopez_family.neighbour.pk]
    ).exists()


def test_pickup_request_never_says_why_and_asks_yes_or_no_in_english(
    crisis_lead, lopez_family, counselors
):
    lopez_family.aunt.preferred_language = "en"
    lopez_family.aunt.save()
    case = case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk]).case
    body = Message.objects.get(cause_id=case.pk).body
    assert "Riverside Unified School District" in body
    assert "Reply YES if you can come, NO if you cannot" in body
    for word in ("detain", "immigra", "arrest", "hospital", "unavailable", "ICE"):
        assert word.lower() not in body.lower()


def test_open_writes_tasks_with_check_in_due_within_15_minutes(
    crisis_lead, lopez_family, counselors
):
    before = timezone.now()
    case = case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk]).case
    check_ins = Task.objects.filter(case=case, kind=Task.Kind.CHECK_IN)
    assert check_ins.count() == 3
    for task in check_ins:
        assert task.assignee_id == counselors["lincoln_es"].user_id
        assert (task.due_at - before).total_seconds() <= 15 * 60 + 5
    kinds = set(Task.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == {"check_in", "reach_adult", "release", "support", "follow_up"}
    assert CounselorProfile.objects.get(pk=counselors["lincoln_es"].pk).open_caseload == 3
    assert AuditEntry.objects.filter(action="reunify.case.opened", object_id=str(case.pk)).exists()
    assert TimelineEntry.objects.filter(case=case, action="case.opened").exists()
    assert TimelineEntry.objects.filter(case=case, action="outreach.asked").count() == 1


def test_standby_caregiver_of_the_plan_is_asked_first(
    crisis_lead, lopez_family, counselors, standby_plan
):
    case = case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk]).case
    first = case.outreach.get(status=Outreach.Status.ASKED)
    assert first.person_id == lopez_family.grandmother.pk and first.standby
    # The grandmother's phone takes no SMS: a voice call.
    assert first.channel == "voice"


def test_pending_review_adults_come_after_allowed_ones_and_are_marked(
    crisis_lead, lopez_family, counselors
):
    friend = PersonFactory(first_name="Frank", last_name="Friend")
    for child in lopez_family.children:
        StudentContactFactory(
            student=child,
            person=friend,
            relationship="friend",
            legal_guardian=False,
            emergency_priority=4,
            pickup_status="pending_review",
        )
    case = case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk]).case
    order = list(case.outreach.order_by("order").values_list("person_id", "pending_review"))
    assert order == [
        (lopez_family.aunt.pk, False),
        (lopez_family.grandmother.pk, False),
        (friend.pk, True),
    ]


def test_same_idempotency_key_gives_the_same_case(crisis_lead, lopez_family, counselors):
    first = case_open(
        actor=crisis_lead, guardian_ids=[lopez_family.mother.pk], idempotency_key="k-1"
    )
    again = case_open(
        actor=crisis_lead, guardian_ids=[lopez_family.mother.pk], idempotency_key="k-1"
    )
    assert again.case.pk == first.case.pk and not again.created
    assert Case.objects.count() == 1
    assert Message.objects.count() == 1


def test_same_guardians_while_open_give_the_same_case_and_say_so(
    crisis_lead, lopez_family, counselors
):
    first = case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk])
    again = case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk])
    assert again.case.pk == first.case.pk and not again.created
    assert [n.code for n in again.notices] == ["guardian_in_open_case"]
    assert CaseStudent.objects.count() == 3


def test_nobody_free_puts_students_in_the_lead_queue_and_tells_the_lead(crisis_lead, lopez_family):
    result = case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk])
    assert "no_counselor_free" in [n.code for n in result.notices]
    assert all(cs.in_lead_queue and cs.counselor_id is None for cs in result.case.students.all())
    lead_tasks = Task.objects.filter(assignee=crisis_lead, kind=Task.Kind.ASSIGN_COUNSELOR)
    assert lead_tasks.count() == 3


def test_caseload_cap_is_never_passed(crisis_lead, lincoln, counselors):
    for profile in counselors.values():
        profile.caseload_cap = 2
        profile.save()
    opened = []
    for i in range(4):
        mum = PersonFactory(last_name=f"Family{i}")
        for _ in range(2):
            StudentContactFactory(student=StudentFactory(school=lincoln), person=mum)
        opened.append(case_open(actor=crisis_lead, guardian_ids=[mum.pk]).case)
    for profile in CounselorProfile.objects.all():
        assert profile.open_caseload <= 2
        assert CaseStudent.objects.filter(counselor=profile.user).count() <= 2
    assert CaseStudent.objects.filter(in_lead_queue=True).count() == 2


def test_preview_writes_nothing(crisis_lead, lopez_family, counselors):
    preview = case_preview(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk])
    assert {s.pk for s in preview.students} == {c.pk for c in lopez_family.children}
    assert len(preview.families) == 1
    assert Case.objects.count() == 0 and Message.objects.count() == 0


@pytest.mark.parametrize(
    ("guardians", "code"),
    [([], "required"), ([999999], "unknown_person"), (["x"], "invalid")],
)
def test_bad_guardian_lists_are_refused(crisis_lead, guardians, code):
    with pytest.raises(DomainError) as caught:
        case_open(actor=crisis_lead, guardian_ids=guardians)
    assert caught.value.code == code and caught.value.field == "guardians"


def test_a_person_who_is_nobodys_guardian_is_refused(crisis_lead, lopez_family):
    with pytest.raises(DomainError) as caught:
        case_open(actor=crisis_lead, guardian_ids=[lopez_family.aunt.pk])
    assert caught.value.code == "not_a_guardian"
    assert Case.objects.count() == 0


def test_only_a_lead_may_open(lincoln_staff, lopez_family):
    with pytest.raises(DomainError) as caught:
        case_open(actor=lincoln_staff, guardian_ids=[lopez_family.mother.pk])
    assert caught.value.status == 403


def test_wait_of_zero_is_refused(crisis_lead, lopez_family, settings):
    with pytest.raises(DomainError) as caught:
        case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk], outreach_wait_minutes=0)
    assert caught.value.code == "invalid_wait"
    settings.REUNIFY_OUTREACH_WAIT_MINUTES = -5
    with pytest.raises(DomainError):
        case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk])
    assert Case.objects.count() == 0


def test_second_case_for_a_guardian_already_in_an_open_case_adds_nothing(
    crisis_lead, lopez_family, counselors, lincoln
):
    first = case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk]).case
    other = PersonFactory()
    StudentContactFactory(student=StudentFactory(school=lincoln), person=other)
    result = case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk, other.pk])
    assert result.created and result.case.pk != first.pk
    assert "guardian_in_open_case" in [n.code for n in result.notices]
    assert result.case.students.count() == 1
    assert list(result.case.guardians.values_list("person_id", flat=True)) == [other.pk]


def test_drill_never_messages_a_family(crisis_lead, lopez_family, counselors):
    crisis_lead.email = "lead@district.example"
    crisis_lead.save()
    case = case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk], drill=True).case
    message = Message.objects.get(cause_id=case.pk)
    assert message.address == "lead@district.example" and message.channel == "email"
    assert message.recipient_person_id is None and message.fallback == "none"
    assert message.body.startswith("SIMULACRO") or message.body.startswith("DRILL")
    assert case.outreach.get(status="asked").person_id == lopez_family.aunt.pk


def test_closed_case_frees_the_guardian(crisis_lead, lopez_family, counselors):
    from reunify.services import case_close

    case = case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk]).case
    case_close(actor=crisis_lead, case=case, note="test")
    with pytest.raises(Conflict) as caught:
        case_close(actor=crisis_lead, case=case)
    assert caught.value.code == "already_closed"
    assert CounselorProfile.objects.get(pk=counselors["lincoln_es"].pk).open_caseload == 0
    again = case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk])
    assert again.created and again.case.pk != case.pk
