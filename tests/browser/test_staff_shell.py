"""The staff shell in Chromium: an office staff member signs in, sees who they are and their
pages, reviews a pickup adult, reads the confirmation and signs out; the shell reads right to
left in Arabic, fits 360 px and 768 px screens, is usable by keyboard and meets WCAG 2.1 AA."""

import re

import pytest

from config import staffnav
from contacts.models import StudentContact
from contacts.portal import services
from privacy.roles import Role
from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import sign_in_staff
from tests.browser.wcag import focus_indicator_failures, report, text_contrast_failures
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def office(family):
    """Rosa Diaz, asked for by Maria Lopez as Ana's pickup adult, and Lincoln's office."""
    services.portal_contact_add(
        guardian=family["maria"],
        students=[family["children"][0]],
        first_name="Rosa",
        last_name="Diaz",
        relationship="grandparent",
        phone="312-555-0144",
        pickup=True,
    )
    family["staff"] = UserFactory(
        username="lincoln.office",
        first_name="Lee",
        last_name="Park",
        roles=[Role.SCHOOL_STAFF],
        schools=[family["lincoln"]],
    )
    return family


@pytest.fixture
def officer_entry():
    """The legal office's intake entry, as privacy registers it for every role."""
    [entry] = [p for p in staffnav.registered_pages() if p.key == "agency_request"]
    assert entry.roles == frozenset(Role.values)


def _screen(chromium, width):
    context = chromium.new_context(viewport={"width": width, "height": 800}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


@pytest.fixture
def small(chromium):
    context, page = _screen(chromium, 360)
    yield page
    context.close()


@pytest.fixture
def tablet(chromium):
    context, page = _screen(chromium, 768)
    yield page
    context.close()


def _fits(page, width):
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll}px wide at a {width}px viewport"


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_office_staff_sign_in_review_see_the_confirmation_and_sign_out(small, live_server, office):
    page = small
    page.goto(f"{live_server.url}/portal/staff/login/")
    page.fill("#id_username", "lincoln.office")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/staff/review/")

    header = page.locator("header.staff-top")
    assert "Signed in as Lee Park" in header.locator(".who").inner_text()
    assert header.locator(".roles").inner_text() == "School staff"
    assert "Pickup adults to review" in header.locator("nav a").all_inner_texts()
    card = page.locator("section.card", has_text="Rosa Diaz")
    assert "Maria Lopez" in card.locator("dl.facts").inner_text()
    assert "Lincoln Elementary local time" in card.inner_text()
    _fits(page, 360)
    shoot(page, "staff-01-review-queue")

    card.locator("button[value=approve]").click()
    page.wait_for_url("**/portal/staff/review/")
    notice = page.locator("#messages")
    assert notice.inner_text() == "Approved: Rosa Diaz may now pick up Ana Lopez."
    assert page.locator("section.card", has_text="Rosa Diaz").count() == 0
    assert StudentContact.objects.get(person__first_name="Rosa").pickup_status == "allowed"
    shoot(page, "staff-02-approved")

    page.click("header button:has-text('Sign out')")
    page.wait_for_url("**/portal/staff/login/")
    assert page.locator("header .who").count() == 0
    page.goto(f"{live_server.url}/portal/staff/review/")
    page.wait_for_url(re.compile(r"/portal/staff/login/\?next="))


def test_choosing_arabic_turns_the_page_right_to_left(small, live_server, office):
    sign_in_staff(small, live_server, office["staff"])
    small.goto(f"{live_server.url}/portal/staff/review/")
    small.click("form.lang button[lang=ar]")
    small.wait_for_selector("html[dir=rtl]")
    assert small.locator("html").get_attribute("lang") == "ar"
    assert small.locator("h1").inner_text() == "أشخاص بالغون للاستلام بانتظار المراجعة"
    assert small.evaluate("getComputedStyle(document.body).direction") == "rtl"
    _fits(small, 360)
    shoot(small, "staff-03-arabic")
    # The choice holds for the next page, as the language cookie says.
    small.goto(f"{live_server.url}/staff/")
    small.wait_for_selector("html[dir=rtl]")


@pytest.mark.parametrize("width", [360, 768])
def test_the_shell_fits_the_screen_without_sideways_scrolling(
    chromium, live_server, office, officer_entry, width
):
    context, page = _screen(chromium, width)
    try:
        for user in (office["staff"], UserFactory(username="lead", roles=[Role.CRISIS_LEAD])):
            sign_in_staff(page, live_server, user)
            for path in ("/portal/staff/review/", "/staff/"):
                page.goto(live_server.url + path)
                page.wait_for_selector("header .who")
                _fits(page, width)
        for lang in ("ar", "vi"):
            page.context.add_cookies(
                [{"name": "django_language", "value": lang, "url": live_server.url}]
            )
            page.goto(f"{live_server.url}/portal/staff/review/")
            _fits(page, width)
    finally:
        context.close()


def test_the_skip_link_is_the_first_stop_and_moves_focus_to_the_content(
    tablet, live_server, office
):
    sign_in_staff(tablet, live_server, office["staff"])
    tablet.goto(f"{live_server.url}/portal/staff/review/")
    tablet.keyboard.press("Tab")
    focused = tablet.evaluate("document.activeElement.className")
    assert focused == "skip"
    assert tablet.locator("a.skip").bounding_box()["y"] >= 0  # shown once focused
    tablet.keyboard.press("Enter")
    assert tablet.evaluate("document.activeElement.id") == "main"
    tablet.keyboard.press("Tab")
    # The next stop is inside the content: the first review decision.
    assert tablet.evaluate("document.activeElement.value") == "approve"


def test_a_decision_can_be_made_by_keyboard(tablet, live_server, office):
    sign_in_staff(tablet, live_server, office["staff"])
    tablet.goto(f"{live_server.url}/portal/staff/review/")
    tablet.focus("button[value=reject]")
    tablet.keyboard.press("Enter")
    tablet.wait_for_selector("#messages li")
    assert "Rejected: Rosa Diaz may not pick up Ana Lopez." in tablet.inner_text("#messages")


def _signed_in_queue(page, live_server, world):
    sign_in_staff(page, live_server, world["staff"])
    page.goto(f"{live_server.url}/portal/staff/review/")
    page.wait_for_selector("button[value=approve]")


def _confirmation(page, live_server, world):
    _signed_in_queue(page, live_server, world)
    page.click("button[value=reject]")
    page.wait_for_selector("#messages li")


def _arabic_queue(page, live_server, world):
    page.context.add_cookies([{"name": "django_language", "value": "ar", "url": live_server.url}])
    _signed_in_queue(page, live_server, world)


def _staff_home(page, live_server, world):
    sign_in_staff(page, live_server, UserFactory(username="lead", roles=[Role.CRISIS_LEAD]))
    page.goto(f"{live_server.url}/staff/")


def _login_with_an_error(page, live_server, world):
    page.goto(f"{live_server.url}/portal/staff/login/")
    page.fill("#id_username", "lincoln.office")
    page.fill("#id_password", "wrong")
    page.click("main button[type=submit]")
    page.wait_for_selector(".errors")


SCREENS = {
    f.__name__.strip("_"): f
    for f in [_signed_in_queue, _confirmation, _arabic_queue, _staff_home, _login_with_an_error]
}


@pytest.mark.parametrize("name", SCREENS)
def test_staff_pages_meet_wcag_aa(small, live_server, office, officer_entry, name):
    SCREENS[name](small, live_server, office)
    checked, failures = text_contrast_failures(small)
    assert checked >= 5, f"{name}: only {checked} text elements found"
    if failures:
        pytest.fail(report(name, failures), pytrace=False)
    focused, failures = focus_indicator_failures(small)
    assert focused >= 5, f"{name}: only {focused} elements took focus"
    if failures:
        pytest.fail(report(name, failures), pytrace=False)
