"""A school event in Chromium: a parent checks in from the notice's link on a 360 px phone in
Spanish, and the desk's queue shows them without reloading; staff account for a student at
768 px with the keyboard alone and the unaccounted count drops; contrast and focus meet WCAG
2.1 AA on the event's page and the check-in page."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from alerts.models import Message
from privacy.roles import Role
from reunify.models import Accounting
from reunify.services.events import school_event_open
from tests.browser.helpers import sign_in_staff_in, staff_page_at
from tests.browser.wcag import assert_meets_wcag_aa
from tests.factories import (
    PersonFactory,
    PhoneFactory,
    SchoolFactory,
    StudentContactFactory,
    StudentFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def event(transactional_db):
    school = SchoolFactory(code="RHS", name="Riverside High School", address="1 River Rd")
    mother = PersonFactory(first_name="Lucia", last_name="Ramos", preferred_language="es")
    PhoneFactory(person=mother, value="+13125550131")
    children = [
        StudentFactory(first_name=name, last_name="Ramos", school=school, grade=grade)
        for name, grade in (("Marta", "10"), ("Pablo", "09"))
    ]
    for child in children:
        StudentContactFactory(student=child, person=mother, emergency_priority=1)
    lead = UserFactory(username="lead", first_name="Lena", roles=[Role.CRISIS_LEAD])
    office = UserFactory(
        username="office", first_name="Olga", roles=[Role.SCHOOL_STAFF], schools=[school]
    )
    case = school_event_open(actor=lead, school=school, site="Stadium").case
    return {"case": case, "mother": mother, "children": children, "office": office}


def _link(event) -> str:
    notice = Message.objects.get(
        template_key="reunify.event_notice", recipient_person_id=event["mother"].pk
    )
    return re.search(r"https?://\S+/reunify/checkin/[^/\s]+/", notice.body).group(0)


def _local(live_server, link: str) -> str:
    return live_server.url + link[link.index("/reunify/") :]


def test_a_parent_checks_in_on_a_phone_in_spanish_and_the_desk_sees_them(
    chromium, live_server, event
):
    phone_context, phone = staff_page_at(chromium, 360, "es")
    desk_context, desk = staff_page_at(chromium, 768)
    try:
        sign_in_staff_in(desk, live_server, event["office"])
        desk.goto(f"{live_server.url}/staff/crisis/cases/{event['case'].pk}/event/")
        expect(desk.locator("#event-queue")).to_contain_text("Nobody has checked in yet.")
        desk.evaluate("window.notReloaded = true")

        phone.goto(_local(live_server, _link(event)))
        assert phone.evaluate("document.documentElement.lang") == "es"
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        expect(phone.locator("#checkin-form")).to_contain_text("Marta Ramos")
        phone.uncheck(f"input[name=students][value='{event['children'][1].pk}']")
        phone.fill("#id_eta_minutes", "20")
        phone.click("#checkin-button")
        expect(phone.locator("#checked-in")).to_contain_text("Marta Ramos")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360

        queue = desk.locator("#event-queue")
        expect(queue).to_contain_text("Lucia Ramos", timeout=20_000)
        expect(queue).to_contain_text("Marta Ramos")
        assert desk.evaluate("window.notReloaded") is True
    finally:
        phone_context.close()
        desk_context.close()


def test_staff_account_for_a_student_with_the_keyboard(chromium, live_server, event):
    context, page = staff_page_at(chromium, 768)
    try:
        sign_in_staff_in(page, live_server, event["office"])
        page.goto(f"{live_server.url}/staff/crisis/cases/{event['case'].pk}/event/")
        expect(page.locator("#unaccounted-count")).to_contain_text("2")
        cs = event["case"].students.get(student=event["children"][0])
        page.focus(f"#status-{cs.pk}")
        page.keyboard.press("ArrowDown")  # absent that day -> the select moves one option down
        page.keyboard.press("ArrowUp")  # back to present at the site
        page.keyboard.press("Tab")  # the note
        page.keyboard.press("Tab")  # the save button
        page.keyboard.press("Enter")
        expect(page.locator(f"#ev-{cs.pk} [data-accounted]")).to_have_attribute(
            "data-accounted", "present"
        )
        assert Accounting.objects.get().status == "present"
        page.reload()
        expect(page.locator("#unaccounted-count")).to_contain_text("1")
    finally:
        context.close()


@pytest.mark.parametrize("where", ["event", "checkin", "checkin_ar"])
def test_contrast_and_focus_meet_wcag_aa(chromium, live_server, event, where):
    context, page = staff_page_at(chromium, 768, "ar" if where.endswith("_ar") else "en")
    try:
        if where == "event":
            sign_in_staff_in(page, live_server, event["office"])
            page.goto(f"{live_server.url}/staff/crisis/cases/{event['case'].pk}/event/")
        else:
            language = "ar" if where.endswith("_ar") else "en"
            page.context.add_cookies(
                [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
            )
            page.goto(_local(live_server, _link(event)))
        assert_meets_wcag_aa(page, where, texts=5, focusable=3)
    finally:
        context.close()
