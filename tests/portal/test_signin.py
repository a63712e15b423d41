"""Passwordless sign-in: codes, links, rate limits, sessions."""

import logging
import re
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.http import HttpResponse
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import parse_http_date

from alerts.models import Message
from contacts.models import StudentContact
from contacts.portal import services
from contacts.portal.access import COOKIE_NAME
from contacts.portal.models import OneTimeCode, PortalLink, PortalSession, RateCounter
from privacy.errors import DomainError
from tests.factories import PersonFactory, PhoneFactory, StudentContactFactory

from .conftest import NO_BOUNDARY, code_from_outbox, request_code

SIGN_IN = reverse("portal:sign_in")
CODE = reverse("portal:code")
HOUSEHOLD = reverse("portal:household")


def _without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def _request_code(client, identifier):
    return request_code(client, identifier)


def test_code_sign_in_end_to_end(client, parent_of_three):
    response = _request_code(client, "(312) 555-0101")
    assert response.status_code == 302 and response["Location"] == CODE
    code = code_from_outbox("+13125550101")
    response = client.post(CODE, {"code": code})
    assert response.status_code == 302 and response["Location"] == HOUSEHOLD
    page = client.get(HOUSEHOLD)
    assert page.status_code == 200
    # Maria prefers Spanish: the portal now speaks Spanish to her.
    assert page.headers["Content-Language"] == "es"
    assert 'lang="es"' in page.content.decode()


def test_sign_in_by_email_sends_an_email(client, parent_of_three):
    _request_code(client, "Maria.Lopez@Example.org")
    message = Message.objects.get(address="maria.lopez@example.org")
    assert message.channel == "email" and message.language == "es"
    client.post(CODE, {"code": code_from_outbox("maria.lopez@example.org")})
    assert client.get(HOUSEHOLD).status_code == 200


def test_unknown_and_known_addresses_get_the_same_answer(parent_of_three):
    known, unknown = Client(), Client()
    a = _request_code(known, "312-555-0101")
    b = _request_code(unknown, "312-555-0199")
    assert (a.status_code, a["Location"]) == (b.status_code, b["Location"])
    page_a, page_b = known.get(CODE), unknown.get(CODE)
    assert page_a.status_code == page_b.status_code == 200
    # Only the per-render CSRF token differs.
    assert _without_csrf(page_a) == _without_csrf(page_b)
    # Only the known address got a message; a wrong code is refused the same way for both.
    assert Message.objects.filter(address="+13125550199").count() == 0
    ra, rb = known.post(CODE, {"code": "000000"}), unknown.post(CODE, {"code": "000000"})
    assert ra.status_code == rb.status_code == 400


def test_the_code_is_stored_only_hashed(client, parent_of_three):
    _request_code(client, "312-555-0101")
    code = code_from_outbox("+13125550101")
    row = OneTimeCode.objects.get()
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert "3125550101" not in row.identifier_hash


def test_a_code_signs_in_only_once(client, parent_of_three):
    _request_code(client, "312-555-0101")
    code = code_from_outbox("+13125550101")
    challenge = client.session["portal_challenge"]
    services.signin_code_verify(challenge=challenge, code=code)
    with pytest.raises(DomainError) as err:
        services.signin_code_verify(challenge=challenge, code=code)
    assert err.value.code == "expired"


def test_five_wrong_codes_lock_the_code(client, parent_of_three):
    _request_code(client, "312-555-0101")
    code = code_from_outbox("+13125550101")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        response = client.post(CODE, {"code": wrong})
        assert response.status_code == 400
    response = client.post(CODE, {"code": code})
    assert response.status_code == 400
    assert "Too many wrong codes" in response.content.decode()
    assert client.get(HOUSEHOLD).status_code == 302


def test_an_expired_code_is_refused(client, parent_of_three):
    _request_code(client, "312-555-0101")
    code = code_from_outbox("+13125550101")
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(CODE, {"code": code})
    assert response.status_code == 400 and "expired" in response.content.decode()


def test_a_badly_written_phone_gets_a_message_next_to_the_field(client, db):
    response = _request_code(client, "12345")
    assert response.status_code == 400
    assert "not a valid phone number" in response.content.decode()
    assert 'id="id_identifier_error"' in response.content.decode()


def _from(ip: str) -> Client:
    return Client(REMOTE_ADDR=ip)


def _codes_sent_to_maria() -> int:
    return Message.objects.filter(address="+13125550101", template_key="portal.code").count()


def _minutes_pass(minutes: int) -> None:
    """Every rate window so far started `minutes` earlier (as if that much time had passed)."""
    RateCounter.objects.update(window_start=F("window_start") - timedelta(minutes=minutes))


def test_rate_limit_per_phone_slows_down_after_the_burst(parent_of_three, settings):
    settings.PORTAL_RATE_PER_IDENTIFIER = (3, NO_BOUNDARY)
    for _ in range(3):
        assert _request_code(Client(), "312-555-0101").status_code == 302
    # After the burst, one more code per 10 minutes from this address, then a wait.
    assert _request_code(Client(), "312-555-0101").status_code == 302
    response = _request_code(Client(), "312-555-0101")
    assert response.status_code == 429
    assert "Please wait a few minutes before asking for another code" in response.content.decode()
    assert _codes_sent_to_maria() == 4
    _minutes_pass(10)
    assert _request_code(Client(), "312-555-0101").status_code == 302
    assert _codes_sent_to_maria() == 5


def test_strangers_spending_the_burst_never_lock_the_parent_out(parent_of_three, settings):
    settings.PORTAL_RATE_PER_IDENTIFIER = (5, NO_BOUNDARY)
    for n in range(20):  # someone else keeps asking for codes to Maria's phone, from anywhere
        _request_code(_from(f"203.0.113.{n}"), "312-555-0101")
    sent_to_strangers = _codes_sent_to_maria()
    assert sent_to_strangers <= 5 + 20  # the burst, then one per address per 10 minutes
    maria = _from("198.51.100.7")
    response = _request_code(maria, "312-555-0101")
    assert response.status_code == 302 and response["Location"] == CODE
    assert _codes_sent_to_maria() == sent_to_strangers + 1
    assert maria.post(CODE, {"code": code_from_outbox("+13125550101")})["Location"] == HOUSEHOLD


def test_one_address_pumping_codes_to_a_phone_gets_the_burst_then_one_per_interval(
    parent_of_three, settings
):
    settings.PORTAL_RATE_PER_IDENTIFIER = (5, NO_BOUNDARY)
    pumping = _from("203.0.113.9")
    statuses = [_request_code(pumping, "312-555-0101").status_code for _ in range(12)]
    assert statuses == [302] * 6 + [429] * 6
    assert _codes_sent_to_maria() == 6


def test_the_per_address_limit_blocks_an_address_whatever_the_phone(parent_of_three, settings):
    settings.PORTAL_RATE_PER_IP = (3, NO_BOUNDARY)
    sender = _from("203.0.113.9")
    for n in range(3):
        assert _request_code(sender, f"312-555-01{20 + n}").status_code == 302
    response = _request_code(sender, "312-555-0101")
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    assert _codes_sent_to_maria() == 0


def test_a_code_already_sent_stays_usable_when_a_new_one_is_refused(parent_of_three, settings):
    settings.PORTAL_RATE_PER_IDENTIFIER = (1, NO_BOUNDARY)
    settings.PORTAL_RATE_PER_IDENTIFIER_AFTER_BURST = (0, NO_BOUNDARY)
    maria = _from("198.51.100.7")
    assert _request_code(maria, "312-555-0101").status_code == 302
    code = code_from_outbox("+13125550101")
    refused = _request_code(maria, "312-555-0101")
    assert refused.status_code == 429
    assert f'href="{CODE}"' in refused.content.decode()  # "Enter the code you already have"
    response = maria.post(CODE, {"code": code})
    assert response.status_code == 302 and response["Location"] == HOUSEHOLD


def test_rate_limit_per_ip(parent_of_three, settings):
    settings.PORTAL_RATE_PER_IP = (2, NO_BOUNDARY)
    assert _request_code(Client(), "312-555-0101").status_code == 302
    assert _request_code(Client(), "312-555-0123").status_code == 302
    assert _request_code(Client(), "312-555-0124").status_code == 429
    other_ip = Client(REMOTE_ADDR="10.0.0.9")
    assert _request_code(other_ip, "312-555-0125").status_code == 302


def test_a_prohibited_guardian_cannot_sign_in(client, parent_of_three):
    barred = PersonFactory()
    PhoneFactory(person=barred, value="+13125550177")
    StudentContactFactory(
        student=parent_of_three.children[0],
        person=barred,
        legal_guardian=True,
        pickup_status="prohibited",
    )
    _request_code(client, "312-555-0177")
    assert not Message.objects.filter(address="+13125550177").exists()


def test_link_get_never_spends_it_and_post_signs_in_once(parent_of_three):
    token = services.portal_link_issue(actor="campaign:1", person=parent_of_three.guardian)
    url = reverse("portal:link", args=[token])
    browser = Client()
    for _ in range(3):  # a mail scanner prefetching the link
        page = browser.get(url)
        assert page.status_code == 200 and "Continue" in page.content.decode()
    assert PortalLink.objects.get().used_at is None
    assert PortalSession.objects.count() == 0
    response = browser.post(url)
    assert response.status_code == 302 and response["Location"] == HOUSEHOLD
    assert browser.get(HOUSEHOLD).status_code == 200
    again = Client().post(url)
    assert "expired or was already used" in again.content.decode()
    assert again.get("Location") is None
    assert PortalSession.objects.count() == 1


def test_an_expired_link_is_refused(parent_of_three):
    token = services.portal_link_issue(
        actor="campaign:1", person=parent_of_three.guardian, ttl=timedelta(seconds=-1)
    )
    response = Client().post(reverse("portal:link", args=[token]))
    assert "expired or was already used" in response.content.decode()
    assert PortalSession.objects.count() == 0


def test_sessions_expire(parent_of_three, as_guardian):
    for page in (HOUSEHOLD, reverse("portal:me")):
        browser = as_guardian(parent_of_three.guardian)
        assert browser.get(page).status_code == 200
        PortalSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        response = browser.get(page)
        assert response.status_code == 302 and response["Location"] == SIGN_IN


def test_sign_out_everywhere_ends_every_session(parent_of_three, as_guardian):
    phone, laptop = as_guardian(parent_of_three.guardian), as_guardian(parent_of_three.guardian)
    assert laptop.get(HOUSEHOLD).status_code == 200
    phone.post(reverse("portal:sign_out_everywhere"))
    assert laptop.get(HOUSEHOLD).status_code == 302
    assert phone.get(HOUSEHOLD).status_code == 302


def test_sign_out_ends_this_session_only(parent_of_three, as_guardian):
    phone, laptop = as_guardian(parent_of_three.guardian), as_guardian(parent_of_three.guardian)
    phone.post(reverse("portal:sign_out"))
    assert phone.get(HOUSEHOLD).status_code == 302
    assert laptop.get(HOUSEHOLD).status_code == 200


def test_csrf_is_enforced(parent_of_three):
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(SIGN_IN, {"identifier": "312-555-0101"}).status_code == 403


def test_no_phone_email_or_code_reaches_a_log_line(client, parent_of_three, caplog):
    caplog.set_level(logging.DEBUG)
    _request_code(client, "312-555-0101")
    _request_code(client, "maria.lopez@example.org")
    code = code_from_outbox("maria.lopez@example.org")
    client.post(CODE, {"code": code})
    client.get(HOUSEHOLD)
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("3125550101", "555-0101", "maria.lopez", code):
        assert secret not in text


def test_a_spent_link_leaves_no_token_in_the_log(parent_of_three, caplog):
    token = services.portal_link_issue(actor="campaign:1", person=parent_of_three.guardian)
    url = reverse("portal:link", args=[token])
    Client().post(url)
    caplog.set_level(logging.DEBUG)
    Client().post(url)
    Client().get(url)
    assert token not in "\n".join(r.getMessage() for r in caplog.records)


def test_a_sign_in_code_goes_on_the_emergency_lane(parent_of_three):
    from alerts.models import Message
    from contacts.portal import services

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.signin_code_request(identifier="312-555-0101", ip="127.0.0.1")
    message = Message.objects.get(template_key="portal.code")
    assert (message.emergency, message.lane) == (True, "emergency")


def test_the_session_key_lives_in_an_httponly_lax_cookie_and_only_its_hash_is_stored(
    client, parent_of_three
):
    request_code(client, "312-555-0101")
    response = client.post(CODE, {"code": code_from_outbox("+13125550101")})
    cookie = response.cookies[COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert int(cookie["max-age"]) == 2 * 60 * 60
    assert not PortalSession.objects.filter(key_hash=cookie.value).exists()
    assert cookie.value not in str(client.session.items())


def test_the_cookie_is_marked_secure_when_the_site_is_served_over_https(
    client, parent_of_three, settings
):
    settings.SESSION_COOKIE_SECURE = True
    request_code(client, "312-555-0101")
    response = client.post(CODE, {"code": code_from_outbox("+13125550101")})
    assert response.cookies[COOKIE_NAME]["secure"]


def test_signing_out_deletes_the_cookie(maria_client):
    response = maria_client.post(reverse("portal:sign_out"))
    assert response.cookies[COOKIE_NAME].value == ""
    assert maria_client.get(HOUSEHOLD)["Location"] == SIGN_IN


def test_a_revoked_session_cookie_is_dropped_on_the_next_visit(maria_client, parent_of_three):
    services.portal_sessions_end_all(person=parent_of_three.guardian)
    response = maria_client.get(HOUSEHOLD)
    assert response["Location"] == SIGN_IN
    assert response.cookies[COOKIE_NAME].value == ""


def test_signed_in_pages_are_never_kept_by_a_browser_or_proxy(maria_client):
    django_says = HttpResponse()
    add_never_cache_headers(django_says)
    for name in ("portal:household", "portal:me", "portal:preferences", "portal:plan"):
        response = maria_client.get(reverse(name))
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]
        # What Django's never_cache sends: an Expires no later than now.
        assert response["Cache-Control"] == django_says["Cache-Control"]
        assert parse_http_date(response["Expires"]) <= time.time()
    confirmed = maria_client.post(reverse("portal:confirm"))
    assert confirmed["Cache-Control"] == django_says["Cache-Control"]


def test_a_guardian_barred_after_the_code_was_sent_is_not_signed_in(client, parent_of_three):
    request_code(client, "312-555-0101")
    code = code_from_outbox("+13125550101")
    StudentContact.objects.filter(person=parent_of_three.guardian).update(
        pickup_status=StudentContact.Pickup.PROHIBITED, emergency_priority=None
    )
    response = client.post(CODE, {"code": code})
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert PortalSession.objects.count() == 0


def test_a_link_of_a_guardian_barred_since_it_was_sent_opens_nothing(parent_of_three):
    token = services.portal_link_issue(actor="campaign:1", person=parent_of_three.guardian)
    StudentContact.objects.filter(person=parent_of_three.guardian).update(
        pickup_status=StudentContact.Pickup.PROHIBITED, emergency_priority=None
    )
    response = Client().post(reverse("portal:link", args=[token]))
    assert "expired or was already used" in response.content.decode()
    assert PortalSession.objects.count() == 0


def test_head_on_a_link_answers_like_get_and_never_spends_it(parent_of_three, caplog):
    token = services.portal_link_issue(actor="campaign:1", person=parent_of_three.guardian)
    url = reverse("portal:link", args=[token])
    caplog.set_level(logging.DEBUG)
    for _ in range(3):  # a mail scanner or a link preview checking the link
        response = Client().head(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
    assert PortalLink.objects.get().used_at is None
    assert PortalSession.objects.count() == 0
    assert token not in "\n".join(r.getMessage() for r in caplog.records)
    assert Client().post(url).status_code == 302  # still good for the guardian


@pytest.mark.parametrize("method", ["put", "delete", "patch", "options"])
def test_other_methods_on_a_link_are_refused_without_portal_code_logging_the_token(
    parent_of_three, caplog, method
):
    token = services.portal_link_issue(actor="campaign:1", person=parent_of_three.guardian)
    url = reverse("portal:link", args=[token])
    caplog.set_level(logging.DEBUG)
    response = getattr(Client(), method)(url)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    assert PortalLink.objects.get().used_at is None
    # The request handler's own line for every 4xx response names the path; the project's log
    # filter rewrites the record itself, so no record anyone sees holds the token, and the line
    # still says which kind of path was refused.
    assert not [r for r in caplog.records if token in r.getMessage()]
    assert "Method Not Allowed: /portal/link/[token]/" in [r.getMessage() for r in caplog.records]


def _sign_in_request_cost(identifier: str, ip: str) -> tuple:
    """What POST /portal/sign-in/ does while the browser waits: its status, the statements it
    runs (their kind and table), and the work it queues on commit."""
    with (
        CaptureQueriesContext(connection) as queries,
        TestCase.captureOnCommitCallbacks() as queued,
    ):
        response = Client(REMOTE_ADDR=ip).post(SIGN_IN, {"identifier": identifier})
    statements = [
        (sql.split()[0], sorted(set(re.findall(r"(?:FROM|INTO|UPDATE|JOIN)\s+\"?(\w+)", sql))))
        for sql in (q["sql"] for q in queries.captured_queries)
    ]
    work = [(getattr(job, "func", job), len(getattr(job, "args", ()))) for job in queued]
    return response.status_code, response["Location"], statements, work, queued


def test_numbers_on_file_and_not_cost_the_same_queries_and_queue_the_same_work(parent_of_three):
    Client().get(SIGN_IN)  # anything loaded once per process is loaded before measuring
    # Each from its own address, so that each starts its own rate counters.
    *known, known_jobs = _sign_in_request_cost("312-555-0101", "198.51.100.1")
    *unknown, unknown_jobs = _sign_in_request_cost("312-555-0199", "198.51.100.2")
    assert known == unknown
    [(job, args)] = known[3]
    assert args == 1  # an id, nothing else
    # Only the worker tells them apart: it sends a code to the number on file alone.
    for queued in (*known_jobs, *unknown_jobs):
        queued()
    assert Message.objects.filter(address="+13125550101", template_key="portal.code").count() == 1
    assert not Message.objects.filter(address="+13125550199").exists()


def test_the_queued_task_gets_an_opaque_id_never_the_phone(parent_of_three):
    with TestCase.captureOnCommitCallbacks() as queued:
        Client().post(SIGN_IN, {"identifier": "312-555-0101"})
    [job] = queued
    assert job.args == (OneTimeCode.objects.get().pk,)
    assert "555" not in repr(job.args) and "5550101" not in repr(job.keywords)


def test_a_sign_in_code_task_run_twice_sends_one_code(parent_of_three):
    with TestCase.captureOnCommitCallbacks() as queued:
        Client().post(SIGN_IN, {"identifier": "312-555-0101"})
    row = OneTimeCode.objects.get()
    assert row.code_hash == ""  # no code exists until the worker makes it
    assert services.signin_code_send(code_id=row.pk) is True
    assert services.signin_code_send(code_id=row.pk) is False
    assert len(queued) == 1
    assert Message.objects.filter(template_key="portal.code").count() == 1
