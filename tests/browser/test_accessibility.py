"""WCAG 2.1 AA on every portal page, measured in Chromium: text contrast of at least 4.5:1
(3:1 for large text) and a focus indicator of at least 3:1 on everything reachable by Tab.

Each page is shown in the states that bring out its other colours: errors next to fields,
success and error notices, every pickup badge, the staff queue, right-to-left Arabic."""

import datetime

import pytest

from contacts.models import ContactPoint, StudentContact
from contacts.portal.models import PreparednessPlan
from contacts.portal.services import portal_link_issue
from privacy.roles import Role
from tests.browser.helpers import sign_in_guardian, sign_in_staff
from tests.browser.wcag import focus_indicator_failures, report, text_contrast_failures
from tests.factories import PersonFactory, PhoneFactory, StudentContactFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Pickup = StudentContact.Pickup


@pytest.fixture
def world(family):
    """The Lopez family with a contact in every pickup state, Maria's phones and emails in
    every status, and a Lincoln office member with a pickup adult to review."""
    ana, sofia = family["children"]
    maria = family["maria"]
    for child, first, status, priority in [
        (ana, "Carmen", Pickup.ALLOWED, 3),
        (ana, "Rosa", Pickup.PENDING, None),
        (sofia, "Pedro", Pickup.NOT_ALLOWED, 3),
    ]:
        adult = PersonFactory(first_name=first, last_name="Ruiz")
        PhoneFactory(person=adult)
        StudentContactFactory(
            student=child,
            person=adult,
            relationship="grandparent",
            legal_guardian=False,
            pickup_status=status,
            emergency_priority=priority,
            source="portal",
        )
    maria.contact_points.filter(kind="phone").update(status=ContactPoint.Status.VERIFIED)
    PhoneFactory(person=maria, value="+13125550199", status=ContactPoint.Status.INVALID)
    family["staff"] = UserFactory(
        username="lincoln.office", roles=[Role.SCHOOL_STAFF], schools=[family["lincoln"]]
    )
    return family


def _open(page, live_server, path):
    page.goto(live_server.url + path)


def sign_in_page(page, live_server, world):
    _open(page, live_server, "/portal/sign-in/")


def sign_in_with_an_error(page, live_server, world):
    _open(page, live_server, "/portal/sign-in/")
    page.fill("#id_identifier", "12")
    page.click("main button[type=submit]")
    page.wait_for_selector("#id_identifier_error")


def code_page(page, live_server, world):
    _open(page, live_server, "/portal/sign-in/")
    page.fill("#id_identifier", "312-555-0101")
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/sign-in/code/")


def link_page(page, live_server, world):
    token = portal_link_issue(actor="campaign:test", person=world["maria"])
    _open(page, live_server, f"/portal/link/{token}/")


def household(page, live_server, world):
    sign_in_guardian(page, live_server, world["maria"])
    _open(page, live_server, "/portal/household/")


def household_confirmed(page, live_server, world):
    household(page, live_server, world)
    page.click("#confirm-all")
    page.wait_for_selector(".messages")


def household_in_arabic(page, live_server, world):
    sign_in_guardian(page, live_server, world["maria"], language="ar")
    _open(page, live_server, "/portal/household/")
    assert page.get_attribute("html", "dir") == "rtl"


def contact_add_with_an_error(page, live_server, world):
    sign_in_guardian(page, live_server, world["maria"])
    _open(page, live_server, "/portal/contacts/add/")
    page.fill("#id_first_name", "Rosa")
    page.fill("#id_last_name", "Diaz")
    page.fill("#id_phone", "555-12")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#id_phone_error")


def contact_remove(page, live_server, world):
    sign_in_guardian(page, live_server, world["maria"])
    link = StudentContact.objects.get(person__first_name="Carmen")
    _open(page, live_server, f"/portal/contacts/{link.pk}/remove/")


def me(page, live_server, world):
    sign_in_guardian(page, live_server, world["maria"])
    _open(page, live_server, "/portal/me/")


def me_with_a_refused_removal(page, live_server, world):
    # With her email not working, Maria's phone is her last way in: removing it is refused.
    world["maria"].contact_points.filter(kind="email").update(status=ContactPoint.Status.INVALID)
    me(page, live_server, world)
    page.locator("li", has_text="(312) 555-0101").locator("button.danger").click()
    page.wait_for_selector(".messages li.error")


def verify(page, live_server, world):
    sign_in_guardian(page, live_server, world["maria"])
    email = world["maria"].contact_points.get(kind="email")
    _open(page, live_server, f"/portal/me/{email.pk}/verify/")


def preferences(page, live_server, world):
    sign_in_guardian(page, live_server, world["maria"])
    _open(page, live_server, "/portal/preferences/")


def plan_with_a_stale_affidavit(page, live_server, world):
    PreparednessPlan.objects.create(
        guardian=world["maria"],
        affidavit_on_file=True,
        affidavit_signed_on=datetime.date(2000, 1, 1),
    )
    sign_in_guardian(page, live_server, world["maria"])
    _open(page, live_server, "/portal/plan/")
    page.wait_for_selector(".badge.warn")


def staff_login(page, live_server, world):
    _open(page, live_server, "/portal/staff/login/")


def staff_review_queue(page, live_server, world):
    sign_in_staff(page, live_server, world["staff"])
    _open(page, live_server, "/portal/staff/review/")
    page.wait_for_selector("button[value=approve]")


PAGES = {
    f.__name__: f
    for f in [
        sign_in_page,
        sign_in_with_an_error,
        code_page,
        link_page,
        household,
        household_confirmed,
        household_in_arabic,
        contact_add_with_an_error,
        contact_remove,
        me,
        me_with_a_refused_removal,
        verify,
        preferences,
        plan_with_a_stale_affidavit,
        staff_login,
        staff_review_queue,
    ]
}


@pytest.mark.parametrize("name", PAGES)
def test_text_contrast_meets_wcag_aa(phone, live_server, world, name):
    PAGES[name](phone, live_server, world)
    checked, failures = text_contrast_failures(phone)
    assert checked >= 5, f"{name}: only {checked} text elements found; is the page rendered?"
    if failures:
        pytest.fail(report(name, failures), pytrace=False)


@pytest.mark.parametrize("name", PAGES)
def test_focus_indicator_is_visible_with_3_to_1_contrast(phone, live_server, world, name):
    PAGES[name](phone, live_server, world)
    focused, failures = focus_indicator_failures(phone)
    assert focused >= 4, f"{name}: only {focused} elements took focus"
    if failures:
        pytest.fail(report(name, failures), pytrace=False)
