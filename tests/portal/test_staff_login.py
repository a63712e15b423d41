"""Staff password sign-in has a limit on tries, per username and client address."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

from .conftest import NO_BOUNDARY

LOGIN = reverse("portal:staff_login")
RIGHT = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.STAFF_LOGIN_RATE_PER_USER = (3, NO_BOUNDARY)
    settings.STAFF_LOGIN_RATE_PER_IP = (6, NO_BOUNDARY)


def _try(client, username, password, ip="203.0.113.5", url=LOGIN):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_the_right_password_signs_in(lincoln_staff):
    response = _try(Client(), "lincoln.office", RIGHT)
    assert response.status_code == 302


def test_after_too_many_tries_even_the_right_password_is_refused_and_the_page_says_why(
    lincoln_staff,
):
    client = Client()
    for _ in range(3):
        assert _try(client, "lincoln.office", "wrong").status_code == 200
    response = _try(client, "lincoln.office", RIGHT)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Too many sign-in attempts" in response.content.decode()


def test_the_message_is_in_the_persons_language(lincoln_staff):
    client = Client()
    client.cookies["django_language"] = "es"
    for _ in range(4):
        response = _try(client, "lincoln.office", "wrong")
    assert "Demasiados intentos" in response.content.decode()


def test_tries_from_elsewhere_do_not_lock_the_staff_member_out(lincoln_staff):
    for _ in range(5):
        _try(Client(), "lincoln.office", "wrong", ip="198.51.100.7")
    assert _try(Client(), "lincoln.office", RIGHT, ip="203.0.113.5").status_code == 302


def test_one_address_cannot_try_many_usernames(lincoln_staff, crisis_lead):
    for n in range(6):
        _try(Client(), f"guess{n}", "wrong")
    response = _try(Client(), "crisis.lead", RIGHT)
    assert response.status_code == 200
    assert "Too many sign-in attempts" in response.content.decode()


def test_the_admin_login_is_limited_too(db):
    UserFactory(username="it.admin", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    signed_in = Client()
    _try(signed_in, "it.admin", RIGHT, url=url, ip="198.51.100.7")
    assert "_auth_user_id" in signed_in.session
    for _ in range(3):
        _try(Client(), "it.admin", "wrong", url=url)
    refused = Client()
    _try(refused, "it.admin", RIGHT, url=url)
    assert "_auth_user_id" not in refused.session
