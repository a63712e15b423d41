"""Who sees a case and its students: counselors only theirs, while open and 7 days after."""

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from contacts.selectors import students_visible_to
from reunify.models import Case
from reunify.selectors import cases_visible_to, get_case_for, tasks_visible_to
from reunify.services import case_close, case_open

pytestmark = pytest.mark.django_db


@pytest.fixture
def opened(crisis_lead, lopez_family, counselors):
    return case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk]).case


def test_counselor_sees_the_students_of_their_case_only(opened, counselors, lopez_family):
    mine = counselors["lincoln_es"].user
    assert set(students_visible_to(mine)) == set(lopez_family.children)
    assert not students_visible_to(counselors["lincoln_en"].user).exists()


def test_counselor_loses_sight_seven_days_after_close(opened, counselors, crisis_lead):
    mine = counselors["lincoln_es"].user
    case_close(actor=crisis_lead, case=opened)
    assert get_case_for(mine, opened.pk).pk == opened.pk
    Case.objects.filter(pk=opened.pk).update(closed_at=timezone.now() - timedelta(days=8))
    with pytest.raises(Http404):
        get_case_for(mine, opened.pk)
    assert not students_visible_to(mine).exists()


def test_school_staff_see_their_schools_cases(opened, lincoln_staff, washington_staff, data_team):
    assert list(cases_visible_to(lincoln_staff)) == [opened]
    assert list(cases_visible_to(washington_staff)) == [opened]
    assert tasks_visible_to(lincoln_staff).count() == 10  # the two Lincoln children's tasks


def test_a_legal_officer_sees_no_case(opened):
    from tests.factories import UserFactory

    legal = UserFactory(roles=["legal_officer"])
    with pytest.raises(Http404):
        get_case_for(legal, opened.pk)
