"""CSRF on the portal's forms is Django's own (CsrfViewMiddleware and get_token): a POST with
the token of the page passes, a forged or missing one is refused."""

import re

from django.test import Client
from django.urls import reverse

from contacts.models import StudentContact
from tests.portal.conftest import sign_in_client

HOUSEHOLD = reverse("portal:household")
CONFIRM = reverse("portal:confirm")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _browser(family) -> Client:
    return sign_in_client(Client(enforce_csrf_checks=True), family.guardian)


def test_each_page_carries_a_freshly_masked_token_and_the_cookie(parent_of_three):
    browser = _browser(parent_of_three)
    first, again = browser.get(HOUSEHOLD), browser.get(HOUSEHOLD)
    tokens = {TOKEN.search(page.content.decode()).group(1) for page in (first, again)}
    assert len(tokens) == 2  # masked afresh for every response (BREACH)
    assert browser.cookies["csrftoken"].value


def test_a_post_with_the_pages_token_passes(parent_of_three):
    browser = _browser(parent_of_three)
    token = TOKEN.search(browser.get(HOUSEHOLD).content.decode()).group(1)
    confirmed = browser.post(CONFIRM, {"csrfmiddlewaretoken": token})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == HOUSEHOLD
    links = StudentContact.objects.filter(student__in=parent_of_three.children)
    assert not links.filter(verified_at__isnull=True).exists()


def test_a_post_with_a_forged_or_missing_token_is_refused_and_changes_nothing(parent_of_three):
    browser = _browser(parent_of_three)
    browser.get(HOUSEHOLD)
    assert browser.post(CONFIRM, {"csrfmiddlewaretoken": "b" * 64}).status_code == 403
    assert browser.post(CONFIRM).status_code == 403
    links = StudentContact.objects.filter(student__in=parent_of_three.children)
    assert not links.filter(verified_at__isnull=False).exists()
