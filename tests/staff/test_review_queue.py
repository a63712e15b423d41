"""The office's review queue says who asked for each pickup adult and when (in the school's
local time), and each decision is confirmed by a message naming the adult and the decision."""

import datetime
import re
import zoneinfo

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contacts.models import StudentContact
from contacts.services import student_contact_update
from privacy.models import AuditEntry
from tests.factories import PersonFactory, StudentContactFactory

QUEUE = reverse("portal:review_queue")


def _card(html: str, link) -> str:
    return re.search(rf'<section class="card" id="review-{link.pk}".*?</section>', html, re.S)[0]


def _asked_at(link) -> datetime.datetime:
    """When the audit log says the link was asked for (the log is append-only: read, never set)."""
    return (
        AuditEntry.objects.filter(object_type="contacts.studentcontact", object_id=str(link.pk))
        .latest("at")
        .at
    )


def test_the_queue_names_the_guardian_who_asked(pending, lincoln_staff, signed_in):
    html = signed_in(lincoln_staff).get(QUEUE).content.decode()
    card = _card(html, pending[0])
    assert "<dt>Asked by</dt>" in card
    assert "Maria Lopez" in card and "guardian, in the parent portal" in card


def test_the_queue_says_when_in_the_schools_local_time(pending, lincoln_staff, signed_in):
    lincoln = pending[0].student.school
    lincoln.timezone = "America/Los_Angeles"  # not the server's zone (America/Chicago)
    lincoln.save()
    local = _asked_at(pending[0]).astimezone(zoneinfo.ZoneInfo("America/Los_Angeles"))
    card = _card(signed_in(lincoln_staff).get(QUEUE).content.decode(), pending[0])
    assert f'<time datetime="{local.isoformat()}">' in card
    assert f'<span dir="ltr">{local.tzname()}</span>' in card
    assert "(Lincoln Elementary local time)" in card


SPANISH_MONTHS = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]


def test_the_time_is_written_the_readers_way(pending, lincoln_staff, signed_in):
    local = _asked_at(pending[0]).astimezone(zoneinfo.ZoneInfo(pending[0].student.school.timezone))
    client = signed_in(lincoln_staff)
    client.cookies["django_language"] = "es"
    card = _card(client.get(QUEUE).content.decode(), pending[0])
    month = SPANISH_MONTHS[local.month - 1]
    assert "Solicitado por" in card
    assert f"{local.day} de {month} de {local.year} a las {local:%H:%M}" in card


def test_a_request_made_again_shows_the_latest_asking(pending, lincoln_staff, signed_in):
    link = pending[0]
    student_contact_update(actor=lincoln_staff, link=link, pickup_status="not_allowed")
    student_contact_update(actor=lincoln_staff, link=link, pickup_status="pending_review")
    card = _card(signed_in(lincoln_staff).get(QUEUE).content.decode(), link)
    assert "lincoln.office" in card and "Maria Lopez" not in card


def test_a_link_with_no_audit_entry_says_not_recorded(lincoln_staff, parent_of_three, signed_in):
    link = StudentContactFactory(
        student=parent_of_three.children[0],
        person=PersonFactory(first_name="Imported", last_name="Adult"),
        pickup_status=StudentContact.Pickup.PENDING,
        emergency_priority=None,
    )
    card = _card(signed_in(lincoln_staff).get(QUEUE).content.decode(), link)
    assert card.count("Not recorded") == 2


def test_the_queue_reads_a_fixed_number_of_queries(
    pending, parent_of_three, lincoln_staff, signed_in, django_assert_num_queries
):
    client = signed_in(lincoln_staff)
    with CaptureQueriesContext(connection) as two_links:
        client.get(QUEUE)
    assert len(two_links) <= 12
    for n in range(5):
        StudentContactFactory(
            student=parent_of_three.children[n % 2],
            person=PersonFactory(first_name=f"Extra{n}"),
            pickup_status=StudentContact.Pickup.PENDING,
            emergency_priority=None,
        )
    with django_assert_num_queries(len(two_links)):
        html = client.get(QUEUE).content.decode()
    assert html.count('<section class="card"') == 7


def test_approving_confirms_the_adult_and_the_decision(pending, lincoln_staff, signed_in):
    client = signed_in(lincoln_staff)
    link = pending[0]
    response = client.post(
        reverse("portal:review_decide", args=[link.pk]), {"decision": "approve"}, follow=True
    )
    html = response.content.decode()
    assert response.redirect_chain == [(QUEUE, 302)]
    assert "Approved: Rosa Diaz may now pick up Ana Lopez." in html
    assert f'id="review-{link.pk}"' not in html


def test_rejecting_confirms_the_adult_and_the_decision(pending, lincoln_staff, signed_in):
    client = signed_in(lincoln_staff)
    client.cookies["django_language"] = "vi"
    link = pending[1]
    response = client.post(
        reverse("portal:review_decide", args=[link.pk]), {"decision": "reject"}, follow=True
    )
    assert "Đã từ chối: Rosa Diaz không được đón Luis Lopez." in response.content.decode()
    link.refresh_from_db()
    assert link.pickup_status == StudentContact.Pickup.NOT_ALLOWED


def test_a_decision_already_taken_elsewhere_says_so(pending, lincoln_staff, signed_in):
    link = pending[0]
    first, second = signed_in(lincoln_staff), signed_in(lincoln_staff)
    url = reverse("portal:review_decide", args=[link.pk])
    first.post(url, {"decision": "approve"})
    # Gone from the queue once decided: the second decision finds nothing to decide.
    assert second.post(url, {"decision": "reject"}).status_code == 404
    link.refresh_from_db()
    assert link.pickup_status == StudentContact.Pickup.ALLOWED


def test_the_queue_needs_a_staff_sign_in(pending):
    response = Client().get(QUEUE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:staff_login"))
