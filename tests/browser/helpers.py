"""Signing in from a browser test: through the pages (as a parent does) or, when the page under
test is not the sign-in itself, by handing the browser a portal session cookie."""

import re

from django.conf import settings
from django.test import Client

from alerts.models import Message
from contacts.portal.access import COOKIE_NAME
from contacts.portal.services import portal_session_start


def code_for(address: str) -> str:
    """The 6-digit code in the newest message sent to `address`."""
    body = Message.objects.filter(address=address).order_by("-id").first().body
    return re.search(r"\b(\d{6})\b", body).group(1)


def sign_in(page, live_server, identifier="312-555-0101", address="+13125550101"):
    page.goto(f"{live_server.url}/portal/sign-in/")
    page.fill("#id_identifier", identifier)
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/sign-in/code/")
    page.fill("#id_code", code_for(address))
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/household/")


def _set_cookies(page, live_server, cookies: dict[str, str]) -> None:
    page.context.add_cookies(
        [{"name": name, "value": value, "url": live_server.url} for name, value in cookies.items()]
    )


def sign_in_guardian(page, live_server, person, language: str = "en") -> None:
    """`person` signed in to the portal in this page's browser context, reading `language`."""
    _session, key = portal_session_start(person=person, via="test")
    _set_cookies(page, live_server, {COOKIE_NAME: key, settings.LANGUAGE_COOKIE_NAME: language})


def sign_in_staff(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    _set_cookies(page, live_server, {settings.SESSION_COOKIE_NAME: cookie})


def staff_page_at(chromium, width: int, language: str = "en", height: int = 800):
    """A new browser context of `width` px with one page: (context, page)."""
    context = chromium.new_context(viewport={"width": width, "height": height}, locale=language)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def sign_in_staff_in(page, live_server, user, language: str = "en") -> None:
    """Sign a staff member in and choose their language."""
    sign_in_staff(page, live_server, user)
    _set_cookies(page, live_server, {settings.LANGUAGE_COOKIE_NAME: language})
