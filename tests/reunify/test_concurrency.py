"""Races on PostgreSQL: cases opened at the same moment never push a counselor past the cap, and
the outreach tick run twice at once never asks an adult twice. Threads with their own
connections, started together by a barrier."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from alerts.models import Message
from reunify.models import CaseStudent, Outreach
from reunify.services import case_open, outreach_tick
from tests.factories import PersonFactory, StudentContactFactory, StudentFactory

from .factories import CounselorProfileFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _together(calls):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises every writer")
    barrier = threading.Barrier(len(calls))
    raised = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            call()
        except Exception as exc:  # noqa: BLE001 - handed to the test
            raised.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return raised


def test_concurrent_opens_never_pass_a_counselors_cap(crisis_lead, lincoln):
    profile = CounselorProfileFactory(caseload_cap=3, schools=[lincoln])
    mothers = []
    for _ in range(6):
        mum = PersonFactory()
        StudentContactFactory(student=StudentFactory(school=lincoln), person=mum)
        mothers.append(mum)
    raised = _together(
        [lambda m=m: case_open(actor=crisis_lead, guardian_ids=[m.pk]) for m in mothers]
    )
    assert raised == []
    profile.refresh_from_db()
    assert profile.open_caseload == 3
    assert CaseStudent.objects.filter(counselor=profile.user).count() == 3
    assert CaseStudent.objects.filter(in_lead_queue=True).count() == 3


def test_two_ticks_at_once_ask_the_next_adult_once(crisis_lead, lopez_family, counselors):
    case = case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk]).case
    later = timezone.now() + timedelta(minutes=20)
    raised = _together([lambda: outreach_tick(now=later) for _ in range(4)])
    assert raised == []
    statuses = dict(case.outreach.values_list("person_id", "status"))
    assert statuses[lopez_family.aunt.pk] == Outreach.Status.NO_ANSWER
    assert statuses[lopez_family.grandmother.pk] == Outreach.Status.ASKED
    assert Message.objects.filter(recipient_person_id=lopez_family.grandmother.pk).count() == 1
    assert case.timeline.filter(action="outreach.no_answer").count() == 1
