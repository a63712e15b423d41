"""The release screen in Chromium: the front office finds the arriving aunt by phone and releases
a child to her with a signature drawn on the tablet's screen; a prohibited uncle is turned away
and the lead's dashboard shows the alert without reloading; at 360 px in Arabic (right to left)
the release is recorded with the keyboard alone; contrast and focus meet WCAG 2.1 AA."""

import pytest
from playwright.sync_api import expect

from privacy.roles import Role
from reunify.models import Release, TimelineEntry
from reunify.services import case_open
from tests.browser.helpers import sign_in_staff_in, staff_page_at
from tests.browser.wcag import assert_meets_wcag_aa
from tests.factories import PersonFactory, PhoneFactory, StudentContactFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(family):
    """Maria Lopez is detained: a case is open for Ana and Sofia. The aunt may pick up; the
    uncle is prohibited. Lincoln's front office and a crisis lead."""
    ana, sofia = family["children"]
    aunt = PersonFactory(first_name="Rosa", last_name="Diaz")
    PhoneFactory(person=aunt, value="+13125550111")
    uncle = PersonFactory(first_name="Pedro", last_name="Lopez")
    PhoneFactory(person=uncle, value="+5215512345678")
    for child in (ana, sofia):
        for person, status in ((aunt, "allowed"), (uncle, "prohibited")):
            StudentContactFactory(
                student=child,
                person=person,
                relationship="aunt_uncle",
                legal_guardian=False,
                emergency_priority=None,
                pickup_status=status,
            )
    lead = UserFactory(
        username="lead", first_name="Lena", last_name="Lead", roles=[Role.CRISIS_LEAD]
    )
    lead.email = "lead@district.example.org"
    lead.save()
    office = UserFactory(
        username="office",
        first_name="Olga",
        last_name="Office",
        roles=[Role.SCHOOL_STAFF],
        schools=[family["lincoln"]],
    )
    case = case_open(actor=lead, guardian_ids=[family["maria"].pk]).case
    return {
        **family,
        "aunt": aunt,
        "uncle": uncle,
        "lead": lead,
        "office": office,
        "case": case,
        "ana": case.students.get(student=ana),
    }


def _desk_url(live_server, desk) -> str:
    return f"{live_server.url}/staff/crisis/cases/{desk['case'].pk}/release/"


def _sign(page) -> None:
    """Draw a stroke on the signature pad with the pointer."""
    pad = page.locator("#signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + 20 + (step % 3) * 30)
    page.mouse.up()


def test_the_front_office_releases_ana_to_her_aunt_with_a_drawn_signature(
    chromium, live_server, desk
):
    context, page = staff_page_at(chromium, 768, height=900)
    try:
        sign_in_staff_in(page, live_server, desk["office"])
        page.goto(_desk_url(live_server, desk))
        page.check("#id_by_1")  # the arriving adult
        page.fill("#id_q", "312 555 0111")
        # htmx swaps the results in as one types; no reload.
        release_link = page.locator(f"#release-{desk['ana'].pk}-{desk['aunt'].pk}")
        expect(release_link).to_be_visible()
        release_link.click()
        expect(page.locator(f"#options-{desk['ana'].pk}")).to_contain_text("Rosa Diaz")
        expect(page.locator(f"#options-{desk['ana'].pk} .do-not-release")).to_contain_text(
            "Pedro Lopez"
        )
        expect(page.locator(f"input[name=person][value='{desk['aunt'].pk}']")).to_be_checked()
        page.check("input[name=identity][value=photo_id]")
        page.check("input[name=student_comfortable][value=yes]")
        _sign(page)
        page.click("#release-button")
        expect(page.locator(f"#released-{desk['ana'].pk}")).to_contain_text("Rosa Diaz")
        release = Release.objects.get()
        assert release.person == desk["aunt"] and release.handed_over_by == desk["office"]
        assert release.signature_image.startswith("data:image/png;base64,")
        assert release.signature_initials == ""
    finally:
        context.close()


def test_a_prohibited_uncle_is_turned_away_and_the_lead_sees_the_alert_without_reloading(
    chromium, live_server, desk
):
    lead_context, lead = staff_page_at(chromium, 768, height=900)
    office_context, office = staff_page_at(chromium, 768, height=900)
    try:
        sign_in_staff_in(lead, live_server, desk["lead"])
        lead.goto(f"{live_server.url}/staff/crisis/")
        expect(lead.locator(f"#case-{desk['case'].pk}")).to_be_visible()
        lead.evaluate("window.notReloaded = true")

        sign_in_staff_in(office, live_server, desk["office"])
        office.goto(_desk_url(live_server, desk))
        office.check("#id_by_1")
        office.fill("#id_q", "Pedro")
        office.press("#id_q", "Enter")
        adult = office.locator(f"#adult-{desk['uncle'].pk}")
        expect(adult.locator(".do-not-release")).to_contain_text("Pedro Lopez")
        expect(adult.get_by_role("link", name="Release Ana Lopez")).to_have_count(0)
        office.click(f"#refuse-{desk['ana'].pk}-{desk['uncle'].pk}")
        expect(office.locator("#messages")).to_contain_text("crisis lead has been alerted")

        alert = lead.locator(".alert-line")
        expect(alert).to_contain_text(
            "A release to a do-not-release adult was attempted for Ana Lopez", timeout=20_000
        )
        assert lead.evaluate("window.notReloaded") is True
        assert not Release.objects.exists()
        assert TimelineEntry.objects.filter(action="release.prohibited_attempt").count() == 1
    finally:
        lead_context.close()
        office_context.close()


def test_at_360_px_in_arabic_the_release_is_recorded_with_the_keyboard(chromium, live_server, desk):
    context, page = staff_page_at(chromium, 360, "ar", height=900)
    try:
        sign_in_staff_in(page, live_server, desk["office"], "ar")
        page.goto(_desk_url(live_server, desk))
        assert page.evaluate("document.documentElement.dir") == "rtl"
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.goto(f"{_desk_url(live_server, desk)}{desk['ana'].pk}/?person={desk['aunt'].pk}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        # Keyboard only: arrow keys move within a radio group, Tab between fields.
        page.focus("input[name=identity][value=photo_id]")
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
        page.focus("input[name=student_comfortable][value=yes]")
        page.keyboard.press("Space")
        page.focus("#id_signature_initials")
        page.keyboard.type("RD")
        page.keyboard.press("Enter")
        expect(page.locator(f"#released-{desk['ana'].pk}")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        release = Release.objects.get()
        assert release.identity == "photo_id" and release.signature_initials == "RD"
    finally:
        context.close()


@pytest.mark.parametrize("where", ["desk", "student"])
def test_the_release_screen_meets_contrast_and_focus_indicator_rules(
    chromium, live_server, desk, where
):
    context, page = staff_page_at(chromium, 768, height=900)
    try:
        sign_in_staff_in(page, live_server, desk["office"])
        url = _desk_url(live_server, desk)
        page.goto(url if where == "desk" else f"{url}{desk['ana'].pk}/")
        assert_meets_wcag_aa(page, where, texts=10, focusable=5)
    finally:
        context.close()
