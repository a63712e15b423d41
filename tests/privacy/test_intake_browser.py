"""The intake page on a phone (360 px wide), in Chromium: readable without sideways scrolling,
fillable by keyboard, and it reaches the confirmation."""

import pytest
from django.conf import settings

from privacy.models import AgencyRequest
from tests.conftest import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium"
    ),
]


def test_the_intake_page_works_on_a_360px_phone(
    chromium, live_server, client, lincoln_staff, parent_of_three
):
    client.force_login(lincoln_staff)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/privacy/agency-requests/new/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.get_by_role("heading", name="What to do now").is_visible()
    page.get_by_label("Student's name").fill("Ana")
    page.get_by_role("button", name="Find").click()
    page.get_by_label("Ana Lopez (02)").check()
    page.get_by_label("Officer's name *").fill("J. Smith")
    page.get_by_label("Agency *").fill("ICE")
    page.get_by_label("Purpose of the visit *").focus()
    page.keyboard.type("Asked to see a student")
    page.get_by_label("Administrative warrant (signed by an agency officer)").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Send to the legal office").click()
    page.get_by_role("heading", name="The legal office has been alerted").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
    request = AgencyRequest.objects.get()
    assert request.document_kind == "administrative_warrant"
    assert list(request.students.values_list("student_id", flat=True)) == [
        parent_of_three.children[0].pk
    ]
