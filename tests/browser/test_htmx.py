"""htmx on the household page: with JavaScript, "Call later" and "Everything is correct" update
the page in place; without it, the same buttons post the form and load the page again."""

import pytest
from playwright.sync_api import expect

from contacts.models import StudentContact
from contacts.portal.models import PortalSession
from tests.browser.helpers import sign_in_guardian
from tests.factories import PersonFactory, PhoneFactory, StudentContactFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ana(family):
    """Ana, whose grandmothers Carmen (third to call) and Rosa (fourth) are not guardians."""
    child = family["children"][0]
    for first, priority in [("Carmen", 3), ("Rosa", 4)]:
        grandma = PersonFactory(first_name=first, last_name="Ruiz")
        PhoneFactory(person=grandma)
        StudentContactFactory(
            student=child,
            person=grandma,
            relationship="grandparent",
            legal_guardian=False,
            emergency_priority=priority,
        )
    return child


@pytest.fixture
def phone_without_js(chromium):
    context = chromium.new_context(
        viewport={"width": 320, "height": 640}, device_scale_factor=1, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _call_order(student) -> list[str]:
    return list(
        StudentContact.objects.filter(student=student, emergency_priority__isnull=False)
        .order_by("emergency_priority")
        .values_list("person__first_name", flat=True)
    )


def _open_household(page, live_server, family):
    sign_in_guardian(page, live_server, family["maria"])
    page.goto(f"{live_server.url}/portal/household/")


def _names(page, student):
    return page.locator(f"#student-{student.pk} ol.contacts > li > strong")


def test_call_later_reorders_in_place_without_loading_the_page(
    phone, live_server, family, ana, shoot
):
    _open_household(phone, live_server, family)
    phone.wait_for_function("() => window.htmx !== undefined")
    phone.evaluate("() => { window.stillTheSamePage = true; }")
    carmen = StudentContact.objects.get(person__first_name="Carmen")
    later = phone.locator(f"#move-{carmen.pk}-down")
    later.focus()
    phone.keyboard.press("Enter")
    expect(_names(phone, ana)).to_have_text(
        ["Maria Lopez", "Jose Lopez", "Rosa Ruiz", "Carmen Ruiz"]
    )
    assert phone.evaluate("() => window.stillTheSamePage") is True
    assert phone.url == f"{live_server.url}/portal/household/"
    assert _call_order(ana) == ["Maria", "Jose", "Rosa", "Carmen"]
    # The card was replaced; the keyboard focus is on the same button, which moved with Carmen.
    assert phone.evaluate("() => document.activeElement.id") == f"move-{carmen.pk}-down"
    shoot(phone, "14-household-after-call-later")


def test_everything_is_correct_shows_the_thanks_without_loading_the_page(
    phone, live_server, family, ana
):
    _open_household(phone, live_server, family)
    phone.wait_for_function("() => window.htmx !== undefined")
    phone.evaluate("() => { window.stillTheSamePage = true; }")
    phone.click("#confirm-all")
    expect(phone.locator("#messages[role=status]")).to_contain_text("confirmed")
    assert phone.evaluate("() => window.stillTheSamePage") is True
    links = StudentContact.objects.filter(student__in=family["children"])
    assert not links.filter(verified_at__isnull=True).exists()


def test_without_javascript_call_later_posts_the_form_and_reloads(
    phone_without_js, live_server, family, ana
):
    page = phone_without_js
    _open_household(page, live_server, family)
    carmen = StudentContact.objects.get(person__first_name="Carmen")
    page.click(f"#move-{carmen.pk}-down")
    page.wait_for_url(f"**/portal/household/#student-{ana.pk}")
    expect(_names(page, ana)).to_have_text(
        ["Maria Lopez", "Jose Lopez", "Rosa Ruiz", "Carmen Ruiz"]
    )
    assert _call_order(ana) == ["Maria", "Jose", "Rosa", "Carmen"]
    page.click("#confirm-all")
    page.wait_for_url("**/portal/household/")
    assert "confirmed" in page.locator(".messages").inner_text()


def test_a_signed_out_guardian_is_sent_to_sign_in_as_a_whole_page(phone, live_server, family, ana):
    _open_household(phone, live_server, family)
    phone.wait_for_function("() => window.htmx !== undefined")
    PortalSession.objects.filter(person=family["maria"]).delete()
    carmen = StudentContact.objects.get(person__first_name="Carmen")
    phone.click(f"#move-{carmen.pk}-down")
    phone.wait_for_url("**/portal/sign-in/")
    assert phone.locator("main h1").inner_text() == "Sign in"
    assert phone.locator("header.top").count() == 1
    assert _call_order(ana) == ["Maria", "Jose", "Carmen", "Rosa"]


def test_on_a_slow_connection_a_second_press_in_the_card_waits_for_the_first(
    phone, live_server, family, ana
):
    """Two presses in one card while the first is on its way: the second is dropped, so the card
    never shows an order other than the saved one."""
    _open_household(phone, live_server, family)
    phone.wait_for_function("() => window.htmx !== undefined")
    cdp = phone.context.new_cdp_session(phone)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 1500, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    carmen, rosa = (
        StudentContact.objects.get(person__first_name=name) for name in ("Carmen", "Rosa")
    )
    phone.click(f"#move-{carmen.pk}-down", no_wait_after=True)
    phone.click(f"#move-{rosa.pk}-down", no_wait_after=True)
    expect(_names(phone, ana)).to_have_text(
        ["Maria Lopez", "Jose Lopez", "Rosa Ruiz", "Carmen Ruiz"], timeout=8_000
    )
    phone.wait_for_timeout(2_500)  # time for a second answer, were one on its way
    assert _call_order(ana) == ["Maria", "Jose", "Rosa", "Carmen"]
    expect(_names(phone, ana)).to_have_text(
        ["Maria Lopez", "Jose Lopez", "Rosa Ruiz", "Carmen Ruiz"]
    )
