"""The cached household page's CSRF token: what Django's get_token gives, held to Django's own
unmasking, its cookie contract and a real POST through CsrfViewMiddleware."""

import re
from collections import Counter

from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    CsrfViewMiddleware,
    _unmask_cipher_token,
)
from django.test import Client, RequestFactory
from django.urls import reverse

from contacts.portal import csrf
from tests.portal.conftest import sign_in_client

HOUSEHOLD = reverse("portal:household")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SECRET = "a" * 16 + "Z9" * 8


def _through_middleware(cookie: str | None):
    """A GET request as CsrfViewMiddleware leaves it for the view."""
    factory = RequestFactory()
    if cookie is not None:
        factory.cookies["csrftoken"] = cookie
    request = factory.get(HOUSEHOLD)
    CsrfViewMiddleware(lambda r: None).process_request(request)
    return request


def test_the_token_is_the_cookies_secret_masked_afresh_each_time():
    request = _through_middleware(SECRET)
    tokens = {csrf.masked_csrf_token(request) for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert len(token) == 2 * CSRF_SECRET_LENGTH
        assert set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == SECRET
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_without_a_cookie_django_makes_the_secret_and_sets_the_cookie():
    request = _through_middleware(None)
    token = csrf.masked_csrf_token(request)
    secret = request.META["CSRF_COOKIE"]
    assert len(secret) == CSRF_SECRET_LENGTH
    assert _unmask_cipher_token(token) == secret
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_every_mask_character_is_equally_likely():
    # 62 characters, 62,000 draws: about 1,000 each. A modulo bias (256 % 62 = 8 characters
    # drawn 5/4 as often) would put those near 1,230, far outside this band.
    counts = Counter(csrf._random_indices(62_000))
    assert set(counts) == set(range(len(CSRF_ALLOWED_CHARS)))
    assert all(850 < n < 1150 for n in counts.values()), counts


def test_a_post_with_the_pages_token_passes_and_the_cookie_is_sent_again(parent_of_three):
    client = sign_in_client(Client(enforce_csrf_checks=True), parent_of_three.guardian)
    first = client.get(HOUSEHOLD)
    again = client.get(HOUSEHOLD)  # from the page cache
    assert again.templates == []
    secret = client.cookies["csrftoken"].value
    token = TOKEN.search(again.content.decode()).group(1)
    assert token != TOKEN.search(first.content.decode()).group(1)
    assert _unmask_cipher_token(token) == secret
    assert again.cookies["csrftoken"].value == secret  # sent again, so it does not expire
    confirmed = client.post(reverse("portal:confirm"), {"csrfmiddlewaretoken": token})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == HOUSEHOLD


def test_a_post_with_a_forged_token_is_refused(parent_of_three):
    client = sign_in_client(Client(enforce_csrf_checks=True), parent_of_three.guardian)
    client.get(HOUSEHOLD)
    forged = csrf.mask("b" * CSRF_SECRET_LENGTH)
    response = client.post(reverse("portal:confirm"), {"csrfmiddlewaretoken": forged})
    assert response.status_code == 403
