"""The crisis pages in Chromium: the lead opens a case through search, preview and confirm and
watches the dashboard change, without reloading, when a counselor completes a task in another
browser; the task list and dashboard fit a 360 px phone and a 768 px tablet; Arabic is right to
left; text contrast and focus indicators meet WCAG 2.1 AA."""

import pytest
from playwright.sync_api import expect

from privacy.roles import Role
from reunify.models import Case, Task
from reunify.services import case_open
from tests.browser.helpers import sign_in_staff_in, staff_page_at
from tests.browser.wcag import focus_indicator_failures, report, text_contrast_failures
from tests.factories import PersonFactory, PhoneFactory, StudentContactFactory, UserFactory
from tests.reunify.factories import CounselorProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def crisis(family):
    """The Lopez family with an aunt who may pick up, an uncle who may not (prohibited), a
    counselor at each school and a crisis lead."""
    ana, sofia = family["children"]
    aunt = PersonFactory(first_name="Rosa", last_name="Diaz")
    PhoneFactory(person=aunt, value="+13125550111")
    uncle = PersonFactory(first_name="Pedro", last_name="Lopez")
    PhoneFactory(person=uncle, value="+5215512345678")
    for child in (ana, sofia):
        StudentContactFactory(
            student=child,
            person=aunt,
            relationship="aunt_uncle",
            legal_guardian=False,
            emergency_priority=3,
            pickup_status="allowed",
        )
        StudentContactFactory(
            student=child,
            person=uncle,
            relationship="aunt_uncle",
            legal_guardian=False,
            emergency_priority=None,
            pickup_status="prohibited",
        )
    family["counselor"] = CounselorProfileFactory(
        user__username="c.lincoln",
        user__first_name="Chris",
        user__last_name="Counsel",
        schools=[family["lincoln"], sofia.school],
    ).user
    family["lead"] = UserFactory(
        username="lead", first_name="Lena", last_name="Lead", roles=[Role.CRISIS_LEAD]
    )
    return family


def _no_sideways_scroll(page, width: int, name: str) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{name} is {scroll}px wide at {width}px"


def test_lead_opens_a_case_and_sees_the_dashboard_update_without_reloading(
    chromium, live_server, crisis
):
    lead_context, lead = staff_page_at(chromium, 768)
    counselor_context, counselor = staff_page_at(chromium, 768)
    try:
        sign_in_staff_in(lead, live_server, crisis["lead"])
        lead.goto(f"{live_server.url}/staff/")
        lead.get_by_role("link", name="Open a case").click()
        lead.fill("#id_q", "Maria Lopez")
        lead.press("#id_q", "Enter")
        lead.check(f"#guardian-{crisis['maria'].pk}")
        lead.click("#preview-button")
        expect(lead.locator("table")).to_contain_text("Ana Lopez")
        expect(lead.locator("table")).to_contain_text("Washington Middle School")
        assert Case.objects.count() == 0
        lead.click("#confirm-button")
        lead.wait_for_url("**/staff/crisis/#case-*")
        case = Case.objects.get()
        ana_cs = case.students.get(student=crisis["children"][0])
        row = lead.locator(f"#cs-{ana_cs.pk}")
        expect(row.locator(".checked-in")).to_contain_text("Not yet")
        lead.evaluate("window.notReloaded = true")

        sign_in_staff_in(counselor, live_server, crisis["counselor"])
        counselor.goto(f"{live_server.url}/staff/")
        counselor.wait_for_url("**/staff/crisis/tasks/")
        check_in = Task.objects.get(case_student=ana_cs, kind=Task.Kind.CHECK_IN)
        counselor.click(f"#task-{check_in.pk}-complete")
        expect(counselor.locator(f"#task-{check_in.pk} .task-status")).to_have_attribute(
            "data-status", "done"
        )

        expect(row.locator(".checked-in time")).to_be_visible(timeout=15_000)
        assert lead.evaluate("window.notReloaded") is True
    finally:
        lead_context.close()
        counselor_context.close()


@pytest.fixture
def opened(crisis):
    case = case_open(actor=crisis["lead"], guardian_ids=[crisis["maria"].pk]).case
    crisis["case"] = case
    crisis["ana"] = case.students.get(student=crisis["children"][0])
    return crisis


@pytest.mark.parametrize("width", [360, 768])
@pytest.mark.parametrize(
    "who, path",
    [
        ("counselor", "/staff/crisis/tasks/"),
        ("lead", "/staff/crisis/"),
        ("counselor", "card"),
        ("lead", "cards"),
    ],
)
def test_pages_have_no_sideways_scroll(chromium, live_server, opened, width, who, path):
    context, page = staff_page_at(chromium, width)
    try:
        sign_in_staff_in(page, live_server, opened[who])
        if path == "card":
            path = f"/staff/crisis/students/{opened['ana'].pk}/"
        elif path == "cards":
            path = f"/staff/crisis/cases/{opened['case'].pk}/cards/"
        page.goto(live_server.url + path)
        _no_sideways_scroll(page, width, path)
    finally:
        context.close()


def test_task_list_in_arabic_is_right_to_left(chromium, live_server, opened):
    context, page = staff_page_at(chromium, 360, "ar")
    try:
        sign_in_staff_in(page, live_server, opened["counselor"], "ar")
        page.goto(f"{live_server.url}/staff/crisis/tasks/")
        assert page.get_attribute("html", "dir") == "rtl"
        assert page.get_attribute("html", "lang") == "ar"
        expect(page.locator("h1")).to_have_text("مهامي")
        _no_sideways_scroll(page, 360, "Arabic task list")
    finally:
        context.close()


def test_the_skip_link_is_the_first_stop_and_buttons_are_buttons(chromium, live_server, opened):
    context, page = staff_page_at(chromium, 768)
    try:
        sign_in_staff_in(page, live_server, opened["counselor"])
        page.goto(f"{live_server.url}/staff/crisis/tasks/")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main"
        assert page.locator("main div[onclick], main span[onclick]").count() == 0
        assert page.locator("main button[type=submit]").count() > 0
    finally:
        context.close()


PAGES = {
    "dashboard": ("lead", "/staff/crisis/"),
    "tasks": ("counselor", "/staff/crisis/tasks/"),
    "card": ("counselor", "card"),
    "open": ("lead", "/staff/crisis/cases/open/?q=Lopez"),
    "tasks_ar": ("counselor", "/staff/crisis/tasks/"),
}


def _goto(page, live_server, opened, name):
    who, path = PAGES[name]
    sign_in_staff_in(page, live_server, opened[who], "ar" if name.endswith("_ar") else "en")
    if path == "card":
        path = f"/staff/crisis/students/{opened['ana'].pk}/"
    page.goto(live_server.url + path)


@pytest.mark.parametrize("name", list(PAGES))
def test_text_contrast_meets_wcag_aa(chromium, live_server, opened, name):
    context, page = staff_page_at(chromium, 768)
    try:
        _goto(page, live_server, opened, name)
        checked, failures = text_contrast_failures(page)
        assert checked > 10
        assert not failures, report(name, failures)
    finally:
        context.close()


@pytest.mark.parametrize("name", ["dashboard", "tasks", "card"])
def test_focus_indicator_is_visible_with_3_to_1_contrast(chromium, live_server, opened, name):
    context, page = staff_page_at(chromium, 768)
    try:
        _goto(page, live_server, opened, name)
        focused, failures = focus_indicator_failures(page)
        assert focused > 5
        assert not failures, report(name, failures)
    finally:
        context.close()
