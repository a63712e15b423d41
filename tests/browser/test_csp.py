"""The Content-Security-Policy in Chromium: the portal, the staff pages, the officer intake page,
the admin and the API docs load and work under the policy with nothing refused (no inline
script or style is left that the browser would block)."""

import pytest
from django.urls import reverse

from privacy.roles import Role
from tests.browser.helpers import sign_in_guardian, sign_in_staff
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _refusals(page) -> list[str]:
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return refused


def test_the_portal_works_under_the_policy(chromium, live_server, family):
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    refused = _refusals(page)
    response = page.goto(f"{live_server.url}{reverse('portal:sign_in')}")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    # The stylesheet is a file now, and it applies: the page is laid out, not bare HTML.
    assert page.evaluate("document.styleSheets.length") >= 1
    assert page.evaluate("getComputedStyle(document.body).margin") != "8px"
    sign_in_guardian(page, live_server, family["maria"])
    page.goto(f"{live_server.url}{reverse('portal:household')}")
    page.wait_for_selector("text=Ana")
    assert page.evaluate("typeof htmx") == "object"  # the vendored script ran
    context.close()
    assert refused == [], refused


def test_the_staff_pages_admin_and_api_docs_work_under_the_policy(chromium, live_server, family):
    lead = UserFactory(username="crisis.lead", roles=[Role.CRISIS_LEAD], is_staff=True)
    context = chromium.new_context(viewport={"width": 768, "height": 1024})
    page = context.new_page()
    refused = _refusals(page)
    sign_in_staff(page, live_server, lead)
    for name in ("reunify:dashboard", "reunify:case_search", "privacy:agency_request_new"):
        response = page.goto(f"{live_server.url}{reverse(name)}")
        assert response.status == 200, name
        assert page.evaluate("document.styleSheets.length") >= 1, name
    page.goto(f"{live_server.url}{reverse('api-docs')}")
    page.wait_for_selector(".swagger-ui .info", timeout=15_000)  # drawn by the docs' script file
    context.close()
    assert refused == [], refused
