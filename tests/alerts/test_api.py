"""Staff view: delivery status per message and per recipient, failures by reason."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.models import Message

from .helpers import PHONE, queue_sms

pytestmark = pytest.mark.django_db

URL = "/api/v1/alerts/messages/"


@pytest.fixture
def outbox(fake_twilio, commit):
    fake_twilio.for_number("+13125550199", "error", 21211)
    commit(queue_sms, "a")
    commit(queue_sms, "b", template_key="portal.verify_contact")
    commit(queue_sms, "c", address="+13125550199", recipient_person_id=9, fallback="none")
    return Message.objects.all()


def test_crisis_lead_sees_status_without_bodies_or_addresses(api_as, crisis_lead, outbox):
    response = api_as(crisis_lead).get(URL)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 3
    text = response.content.decode()
    assert "482913" not in text and PHONE not in text
    assert {r["status"] for r in rows} == {"sent", "failed"}
    assert rows[0]["address_hint"].startswith("…")


def test_list_query_count_does_not_grow_with_rows(api_as, crisis_lead, outbox, fake_twilio, commit):
    client = api_as(crisis_lead)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for i in range(5):
        commit(queue_sms, f"more{i}")
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(many) == len(few)


def test_summary_gives_failures_by_reason(api_as, data_team, outbox):
    body = api_as(data_team).get(URL + "summary/").json()
    assert body["total"] == 3
    assert body["by_status"] == {"sent": 2, "failed": 1}
    assert body["failures_by_reason"] == {"invalid_address": 1}


def test_per_recipient_status(api_as, crisis_lead, outbox):
    rows = api_as(crisis_lead).get(URL + "recipients/").json()["results"]
    by_person = {r["recipient_person_id"]: r for r in rows}
    assert by_person[7]["sent"] == 2 and by_person[7]["failed"] == 0
    assert by_person[9]["failed"] == 1


def test_filters(api_as, crisis_lead, outbox):
    client = api_as(crisis_lead)
    assert client.get(URL, {"status": "failed"}).json()["count"] == 1
    assert client.get(URL, {"recipient_person_id": 7}).json()["count"] == 2
    assert client.get(URL, {"error_code": "invalid_address"}).json()["count"] == 1


def test_a_message_by_id_is_found_whatever_the_filters_say(api_as, crisis_lead, outbox):
    """The filters narrow the lists; a filter on a message's own URL neither hides it (404) nor,
    when malformed, refuses it (400), as on every other object of the API."""
    client = api_as(crisis_lead)
    message = outbox.get(status="failed")
    for query in ("status=sent", "recipient_person_id=1", "status=bogus", "contact_point_id=x"):
        response = client.get(f"{URL}{message.pk}/?{query}")
        assert response.status_code == 200, (query, response.content)
        assert response.json()["id"] == message.pk


def test_school_staff_and_counselors_are_refused(
    api_as, lincoln_staff, counselor_at_lincoln, outbox
):
    """The outbox list is refused to them (403); one message is an object they may not see, so
    its URL answers 404 as every other object outside an actor's reach does."""
    assert api_as(lincoln_staff).get(URL).status_code == 403
    message = Message.objects.first()
    assert api_as(counselor_at_lincoln).get(f"{URL}{message.pk}/").status_code == 404


def test_anonymous_is_refused(api, outbox):
    assert api.get(URL).status_code in (401, 403)


def test_admin_changelist_filters_by_reason(admin_client, outbox):
    response = admin_client.get("/admin/alerts/message/?error_code=invalid_address")
    assert response.status_code == 200
    assert "482913" not in response.content.decode()
    assert PHONE not in response.content.decode()


@pytest.fixture
def caused(fake_twilio, commit):
    fake_twilio.for_number("+13125550199", "error", 21211)
    case = {"cause_type": "reunify.case", "cause_id": 3}
    commit(queue_sms, "case-a", **case)
    commit(queue_sms, "case-b", address="+13125550199", fallback="none", **case)
    commit(queue_sms, "campaign-a", cause_type="campaigns.campaign", cause_id=3)
    commit(queue_sms, "no-cause")
    return Message.objects.all()


def test_messages_of_one_cause(api_as, crisis_lead, caused):
    client = api_as(crisis_lead)
    rows = client.get(URL, {"cause_type": "reunify.case", "cause_id": 3}).json()["results"]
    assert {(r["cause_type"], r["cause_id"]) for r in rows} == {("reunify.case", 3)}
    assert len(rows) == 2
    assert client.get(URL, {"cause_type": "campaigns.campaign"}).json()["count"] == 1
    summary = client.get(URL + "summary/", {"cause_type": "reunify.case", "cause_id": 3}).json()
    assert summary["by_status"] == {"sent": 1, "failed": 1}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"cause_id": 3}, "cause_id"),
        ({"cause_type": "reunify.case", "cause_id": "x"}, "cause_id"),
        ({"cause_type": "Reunify Case"}, "cause_type"),
        ({"cause": "reunify.case"}, "cause"),
        ({"stauts": "failed"}, "stauts"),
    ],
)
def test_a_bad_or_unknown_filter_is_a_400_naming_it(api_as, crisis_lead, caused, query, field):
    response = api_as(crisis_lead).get(URL, query)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["extra"]["fields"]


def test_paging_and_format_are_not_unknown_filters(api_as, crisis_lead, caused):
    response = api_as(crisis_lead).get(URL, {"limit": 1, "offset": 1, "format": "json"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_message_counts_for_a_cause_in_one_query(caused, django_assert_num_queries):
    from alerts.selectors import message_counts_for

    with django_assert_num_queries(1):
        counts = message_counts_for("reunify.case", 3)
    assert counts == {
        "total": 2,
        "by_status": {"sent": 1, "failed": 1},
        "by_error_code": {"invalid_address": 1},
    }
    assert message_counts_for("reunify.case", 4) == {
        "total": 0,
        "by_status": {},
        "by_error_code": {},
    }


def test_admin_changelist_filters_by_cause(admin_client, caused):
    response = admin_client.get("/admin/alerts/message/?cause_type=campaigns.campaign")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_a_malformed_cause_is_refused_when_queued(db):
    with pytest.raises(ValueError, match="cause_type"):
        queue_sms("bad", cause_type="Case 3", cause_id=3)
    with pytest.raises(ValueError, match="cause_id needs a cause_type"):
        queue_sms("bad", cause_id=3)
