"""Passwordless sign-in: codes, links, rate limits, sessions."""

import logging
import re
from datetime import timedelta

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import parse_http_date

from alerts.models import Message
from contacts.models import StudentContact
from contacts.portal import services
from contacts.portal.access import COOKIE_NAME
from contacts.portal.models import OneTimeCode, PortalLink, PortalSession
from privacy.errors import DomainError
from tests.factories import PersonFactory, PhoneFactory, StudentContactFactory

from .conftest import code_from_outbox

SIGN_IN = reverse("portal:sign_in")
CODE = reverse("portal:code")
HOUSEHOLD = reverse("portal:household")


def _without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def _request_code(client, identifier):
    return client.post(SIGN_IN, {"identifier": identifier})


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


def test_rate_limit_per_phone(client, parent_of_three, settings):
    settings.PORTAL_RATE_PER_IDENTIFIER = (3, 3600)
    for _ in range(3):
        assert _request_code(Client(), "312-555-0101").status_code == 302
    response = _request_code(Client(), "312-555-0101")
    assert response.status_code == 429
    assert Message.objects.filter(address="+13125550101").count() == 3


def test_rate_limit_per_ip(parent_of_three, settings):
    settings.PORTAL_RATE_PER_IP = (2, 3600)
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
    # The household page reads its session within its own query, other pages on their own.
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

    services.signin_code_request(identifier="312-555-0101", ip="127.0.0.1")
    message = Message.objects.get(template_key="portal.code")
    assert (message.emergency, message.lane) == (True, "emergency")


def test_the_session_key_lives_in_an_httponly_lax_cookie_and_only_its_hash_is_stored(
    client, parent_of_three
):
    client.post(SIGN_IN, {"identifier": "312-555-0101"})
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
    client.post(SIGN_IN, {"identifier": "312-555-0101"})
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
        # What Django's never_cache sends, with an Expires already past.
        assert response["Cache-Control"] == django_says["Cache-Control"]
        assert parse_http_date(response["Expires"]) < parse_http_date(django_says["Expires"])
    confirmed = maria_client.post(reverse("portal:confirm"))
    assert confirmed["Cache-Control"] == django_says["Cache-Control"]


def test_a_guardian_barred_after_the_code_was_sent_is_not_signed_in(client, parent_of_three):
    client.post(SIGN_IN, {"identifier": "312-555-0101"})
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
