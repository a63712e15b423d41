"""Task actions: claim, start, complete, and two people completing at once."""

import pytest

from privacy.errors import Conflict
from reunify.models import CaseStudent, Task
from reunify.services import case_open, task_claim, task_complete, task_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def opened(crisis_lead, lopez_family, counselors):
    return case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk]).case


def test_check_in_stamps_with_counselor_and_checked_in_never_moving_status_back(opened, counselors):
    counselor = counselors["lincoln_es"].user
    task = Task.objects.filter(case=opened, kind="check_in").first()
    CaseStudent.objects.filter(pk=task.case_student_id).update(status="identified")
    task = task_start(actor=counselor, task=task)
    assert CaseStudent.objects.get(pk=task.case_student_id).status == "with_counselor"
    task = task_complete(actor=counselor, task=task, notes="seen in room 4")
    cs = CaseStudent.objects.get(pk=task.case_student_id)
    assert cs.status == CaseStudent.Status.CHECKED_IN
    assert cs.with_counselor_at is not None and cs.checked_in_at is not None
    # The outreach already went out for a sibling: a check-in does not move it back.
    other = Task.objects.filter(case=opened, kind="check_in").exclude(pk=task.pk).first()
    task_complete(actor=counselor, task=other)
    assert CaseStudent.objects.get(pk=other.case_student_id).status == "adult_contacted"


def test_second_completion_with_a_stale_copy_names_who_won(opened, counselors, crisis_lead):
    task = Task.objects.filter(case=opened, kind="support").first()
    stale = Task.objects.get(pk=task.pk)
    task_complete(actor=crisis_lead, task=task)
    with pytest.raises(Conflict) as caught:
        task_complete(actor=counselors["lincoln_es"].user, task=stale)
    assert caught.value.code == "already_completed"
    assert crisis_lead.username in caught.value.message


def test_someone_elses_task_cannot_be_claimed(opened, counselors):
    task = Task.objects.filter(case=opened, kind="check_in").first()
    with pytest.raises(Conflict) as caught:
        task_claim(actor=counselors["lincoln_en"].user, task=task)
    assert caught.value.code == "assigned_to_other"
