"""The parent portal in a real browser on a 320 px screen."""

import pytest

from alerts.models import Message
from contacts.models import StudentContact
from contacts.portal.services import portal_link_issue
from tests.browser.helpers import code_for as _code_for
from tests.browser.helpers import sign_in
from tests.factories import PersonFactory, PhoneFactory, StudentContactFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_with_a_code_from_the_outbox_and_confirm_all(phone, live_server, family, shoot):
    phone.goto(f"{live_server.url}/portal/sign-in/")
    shoot(phone, "01-sign-in")
    phone.fill("#id_identifier", "maria.lopez@example.org")
    phone.click("main button[type=submit]")
    phone.wait_for_url("**/portal/sign-in/code/")
    shoot(phone, "02-code")
    phone.fill("#id_code", _code_for("maria.lopez@example.org"))
    phone.click("main button[type=submit]")
    phone.wait_for_url("**/portal/household/")
    assert phone.locator("h2", has_text="Ana Lopez").is_visible()
    assert phone.locator("h2", has_text="Sofia Lopez").is_visible()
    shoot(phone, "03-household")
    phone.click("#confirm-all")
    phone.wait_for_url("**/portal/household/")
    assert "confirmed" in phone.locator(".messages").inner_text()
    links = StudentContact.objects.filter(student__in=family["children"])
    assert not links.filter(verified_at__isnull=True).exists()


def test_add_a_pickup_adult_and_see_it_pending(phone, live_server, family, shoot):
    sign_in(phone, live_server)
    phone.click("a[href$='/portal/contacts/add/']")
    phone.fill("#id_first_name", "Rosa")
    phone.fill("#id_last_name", "Diaz")
    phone.select_option("#id_relationship", "grandparent")
    phone.fill("#id_phone", "(312) 555-0144")
    phone.check("#id_pickup")
    shoot(phone, "04-add-contact")
    phone.click("main form button[type=submit]")
    phone.wait_for_url("**/portal/household/")
    rosa = phone.locator("ol.contacts > li", has_text="Rosa Diaz").first
    assert rosa.locator(".badge.pending_review").inner_text() == "Pickup: waiting for school review"
    assert Message.objects.filter(
        template_key="portal.pickup_pending", recipient_person_id=family["jose"].pk
    ).exists()


def test_a_bad_phone_shows_an_error_next_to_the_field(phone, live_server, family, shoot):
    sign_in(phone, live_server)
    phone.goto(f"{live_server.url}/portal/contacts/add/")
    phone.fill("#id_first_name", "Rosa")
    phone.fill("#id_last_name", "Diaz")
    phone.fill("#id_phone", "555-12")
    phone.click("main form button[type=submit]")
    error = phone.locator("#id_phone_error")
    assert "not a valid phone number" in error.inner_text()
    assert phone.get_attribute("#id_phone", "aria-describedby") == "id_phone_error"
    shoot(phone, "05-add-contact-error")


def test_a_form_with_several_errors_opens_with_the_focus_on_their_summary(
    phone, live_server, family, shoot
):
    sign_in(phone, live_server)
    phone.goto(f"{live_server.url}/portal/contacts/add/")
    phone.fill("#id_last_name", "Diaz")
    phone.fill("#id_phone", "555-12")
    phone.click("main form button[type=submit]")
    phone.wait_for_selector("#error-summary")
    assert phone.evaluate("document.activeElement.id") == "error-summary"
    entries = phone.locator("#error-summary li").all_inner_texts()
    assert len(entries) == 3  # first name, relationship, phone: all at once
    assert any("not a valid phone number" in entry for entry in entries)
    shoot(phone, "05b-add-contact-summary")
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.getAttribute('href')") == "#id_first_name"
    phone.keyboard.press("Enter")
    assert phone.evaluate("document.activeElement.id") == "id_first_name"


def test_switch_to_arabic_turns_the_page_right_to_left(phone, live_server, family, shoot):
    sign_in(phone, live_server)
    assert phone.get_attribute("html", "dir") == "ltr"
    phone.click("button[name=language][value=ar]")
    phone.wait_for_load_state()
    assert phone.get_attribute("html", "dir") == "rtl"
    assert phone.get_attribute("html", "lang") == "ar"
    assert "أطفالي" in phone.locator("h1").inner_text()
    shoot(phone, "06-household-ar")
    phone.click("button[name=language][value=vi]")
    phone.wait_for_load_state()
    assert phone.get_attribute("html", "dir") == "ltr"
    shoot(phone, "07-household-vi")


def test_focus_is_visible_when_tabbing(phone, live_server, family):
    sign_in(phone, live_server)
    phone.keyboard.press("Tab")
    style = phone.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert style[0] == "solid" and style[1] == "3px"


def test_other_pages_at_320px(phone, live_server, family, shoot):
    sign_in(phone, live_server)
    for path, name in [
        ("/portal/me/", "08-me"),
        ("/portal/preferences/", "09-preferences"),
        ("/portal/plan/", "10-plan"),
    ]:
        phone.goto(live_server.url + path)
        assert phone.locator("h1").is_visible()
        shoot(phone, name)
    phone.goto(live_server.url + "/portal/me/")
    phone.fill("#id_value", "(312) 555-0188")
    phone.click("main form.card button[type=submit]")
    phone.wait_for_url("**/verify/")
    shoot(phone, "11-verify")
    phone.fill("#id_code", _code_for("+13125550188"))
    phone.click("main form.card button[type=submit]")
    phone.wait_for_url("**/portal/me/")
    assert "Confirmed" in phone.locator("main").inner_text()


def test_personal_link_asks_to_continue(phone, live_server, family, shoot):
    token = portal_link_issue(actor="campaign:test", person=family["maria"])
    phone.goto(f"{live_server.url}/portal/link/{token}/")
    shoot(phone, "12-link")
    phone.click("main button[type=submit]")
    phone.wait_for_url("**/portal/household/")


def test_staff_review_queue(phone, live_server, family, shoot):
    from privacy.roles import Role

    staff = UserFactory(
        username="lincoln.office", roles=[Role.SCHOOL_STAFF], schools=[family["lincoln"]]
    )
    staff.set_password("correct horse battery staple")
    staff.save()
    StudentContactFactory(
        student=family["children"][0],
        person=PersonFactory(first_name="Rosa", last_name="Diaz"),
        relationship="grandparent",
        legal_guardian=False,
        pickup_status="pending_review",
        source="portal",
    )
    phone.goto(f"{live_server.url}/portal/staff/review/")
    phone.fill("#id_username", "lincoln.office")
    phone.fill("#id_password", "correct horse battery staple")
    phone.click("main button[type=submit]")
    phone.wait_for_url("**/portal/staff/review/")
    shoot(phone, "13-staff-review")
    phone.click("button[value=approve]")
    phone.wait_for_url("**/portal/staff/review/")
    assert StudentContact.objects.get(person__first_name="Rosa").pickup_status == "allowed"


def test_guardians_sharing_a_phone_choose_who_they_are(phone, live_server, family, shoot):
    PhoneFactory(person=family["jose"], value="+13125550101")
    phone.goto(f"{live_server.url}/portal/sign-in/")
    phone.fill("#id_identifier", "312-555-0101")
    phone.click("main button[type=submit]")
    phone.wait_for_url("**/portal/sign-in/code/")
    phone.fill("#id_code", _code_for("+13125550101"))
    phone.click("main button[type=submit]")
    phone.wait_for_url("**/portal/sign-in/choose/")
    assert phone.locator("h1").inner_text() == "Who are you?"
    names = phone.get_by_role("group", name="Choose your name").get_by_role("button")
    assert sorted(names.all_inner_texts()) == ["Jose Lopez", "Maria Lopez"]
    shoot(phone, "14-choose")
    phone.click("button[name=language][value=ar]")
    phone.wait_for_load_state()
    assert phone.get_attribute("html", "dir") == "rtl"
    shoot(phone, "15-choose-ar")
    phone.get_by_role("button", name="Jose Lopez").click()
    phone.wait_for_url("**/portal/household/")
    # Jose reads Spanish: the portal switches to his language once he is signed in.
    assert phone.get_attribute("html", "lang") == "es"
