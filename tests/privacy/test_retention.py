"""Retention: closed agency requests lose their documents, then their identifying details; the
disclosure record and an audit entry stay. Spent codes' message bodies are wiped."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Message
from alerts.services.wipe import WIPED, message_bodies_wipe
from privacy.models import AgencyDocument, AgencyRequest, AuditEntry, Disclosure
from privacy.services import (
    agency_request_close,
    agency_request_decide,
    agency_request_receive,
)
from privacy.services.agency import Intake
from privacy.services.retention import retention_register, retention_run

from .files import pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_grant(lincoln_staff, lincoln, legal_officer, parent_of_three):
    ana = parent_of_three.children[0]
    intake = Intake(
        school_id=lincoln.pk,
        officer_name="J. Smith",
        agency="County Sheriff",
        purpose="Records for a custody case",
        document_kind="subpoena",
        student_ids=[ana.pk],
    )
    request = agency_request_receive(actor=lincoln_staff, intake=intake, documents=[pdf()])
    agency_request_decide(
        actor=legal_officer,
        request=request,
        outcome="granted",
        decision_basis="Subpoena 24-77, Circuit Court",
        disclosure_basis="subpoena",
        disclosed="Enrollment dates",
    )
    return agency_request_close(actor=legal_officer, request=request)


def test_nothing_is_purged_before_its_time(closed_grant):
    counts = retention_run(now=timezone.now() + timedelta(days=10))
    assert counts["privacy.agency_documents"] == 0 and counts["privacy.agency_requests"] == 0
    assert AgencyDocument.objects.get().purged_at is None


def test_documents_then_the_request_are_purged_and_the_disclosure_stays(
    closed_grant, documents_root
):
    document = AgencyDocument.objects.get()
    path = documents_root / document.file.name
    assert path.exists()
    counts = retention_run(now=timezone.now() + timedelta(days=366))
    assert counts["privacy.agency_documents"] == 1
    assert not path.exists() and AgencyDocument.objects.get().purged_at is not None
    counts = retention_run(now=timezone.now() + timedelta(days=1096))
    assert counts["privacy.agency_requests"] == 1
    request = AgencyRequest.objects.get()
    assert "Smith" not in request.officer_name and not request.students.exists()
    assert request.decision_basis == "Subpoena 24-77, Circuit Court"
    assert Disclosure.objects.get().party.endswith("officer J. Smith")
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"privacy.agency_document.purged", "privacy.agency_request.anonymised"} <= actions
    again = retention_run(now=timezone.now() + timedelta(days=1096))
    assert again["privacy.agency_requests"] == 0 and again["privacy.agency_documents"] == 0


def test_a_registered_purge_is_called_with_its_cutoff(settings):
    calls = []

    def purge(*, before):
        calls.append(before)
        return 3

    settings.PRIVACY_CASE_RETENTION_DAYS = 30
    retention_register("tests.cases", purge=purge, days_setting="PRIVACY_CASE_RETENTION_DAYS")
    now = timezone.now()
    assert retention_run(now=now)["tests.cases"] == 3
    assert calls == [now - timedelta(days=30)]


def _message(key, status="sent", age=timedelta(hours=2)):
    message = Message.objects.create(
        channel="sms",
        address="+13125550101",
        purpose="portal.code",
        template_key="portal.code",
        body="Riverside: your code is 123456.",
        context={"code": "123456"},
        idempotency_key=key,
        status=status,
    )
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - age)
    return message


def test_spent_code_bodies_are_wiped_and_nothing_else():
    old = _message("portal.code:1")
    queued = _message("portal.code:2", status="queued")
    fresh = _message("portal.code:3", age=timedelta(minutes=1))
    other = _message("portal.pickup_pending:x:1")
    assert retention_run()["alerts.message_bodies"] == 1
    old.refresh_from_db()
    assert old.body == WIPED and old.context == {}
    for kept in (queued, fresh, other):
        kept.refresh_from_db()
        assert "123456" in kept.body
    assert (
        message_bodies_wipe(
            idempotency_key_prefixes=["portal.code:"], before=timezone.now() - timedelta(hours=1)
        )
        == 0
    )
