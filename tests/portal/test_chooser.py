"""Guardians who share a sign-in phone or email: one code, then "Who are you?"."""

import logging
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts.models import Message
from contacts.models import ContactPoint
from contacts.portal import services
from contacts.portal.access import CHOICE_KEY, COOKIE_NAME
from contacts.portal.models import PortalSession, SignInChoice
from privacy.errors import DomainError
from privacy.models import AuditEntry
from tests.factories import EmailFactory, PersonFactory, PhoneFactory, StudentContactFactory

from .conftest import code_from_outbox, request_code

SIGN_IN = reverse("portal:sign_in")
CODE = reverse("portal:code")
CHOOSE = reverse("portal:choose")
HOUSEHOLD = reverse("portal:household")
FAMILY_PHONE = "+13125550101"  # Maria's phone, which Jose shares in these tests


@pytest.fixture
def family_phone(parent_of_three):
    """Maria and Jose Lopez both have the family phone on file; Jose reads Vietnamese."""
    jose = parent_of_three.other_guardian
    jose.preferred_language = "vi"
    jose.save()
    PhoneFactory(person=jose, value=FAMILY_PHONE)
    return parent_of_three


def _browser(language="en") -> Client:
    browser = Client()
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return browser


def _enter_right_code(browser, identifier="312-555-0101", address=FAMILY_PHONE):
    assert request_code(browser, identifier).status_code == 302
    return browser.post(CODE, {"code": code_from_outbox(address)})


def _without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def _nobody_signed_in(browser) -> bool:
    return (
        not getattr(browser.cookies.get(COOKIE_NAME), "value", "")
        and PortalSession.objects.count() == 0
        and browser.get(HOUSEHOLD)["Location"] == SIGN_IN
    )


def test_a_shared_phone_gets_one_code_in_the_first_guardians_language(family_phone):
    browser = _browser()
    request_code(browser, "312-555-0101")
    message = Message.objects.get(address=FAMILY_PHONE)
    assert message.recipient_person_id == family_phone.guardian.pk
    assert message.language == "es"


def test_the_right_code_on_a_shared_phone_asks_who_you_are_before_signing_in(family_phone):
    browser = _browser()
    response = _enter_right_code(browser)
    assert response.status_code == 302 and response["Location"] == CHOOSE
    assert _nobody_signed_in(browser)

    page = browser.get(CHOOSE)
    html = page.content.decode()
    assert page.status_code == 200
    assert "<h1>Who are you?</h1>" in html
    maria, jose = family_phone.guardian, family_phone.other_guardian
    buttons = re.findall(
        r'<button type="submit" name="person" value="(\d+)"[^>]*><bdi>([^<]+)<', html
    )
    assert sorted(buttons) == sorted([(str(maria.pk), "Maria Lopez"), (str(jose.pk), "Jose Lopez")])


def test_the_chooser_shows_names_and_nothing_else_about_the_guardians(family_phone):
    browser = _browser()
    _enter_right_code(browser)
    html = browser.get(CHOOSE).content.decode()
    for private in ("555-0101", "3125550101", "555-0102", "maria.lopez", "Ana", "Luis", "Sofia"):
        assert private not in html
    assert "Lincoln" not in html and "Washington" not in html


def test_choosing_a_name_signs_in_that_guardian(family_phone):
    jose = family_phone.other_guardian
    browser = _browser()
    _enter_right_code(browser)
    response = browser.post(CHOOSE, {"person": jose.pk})
    assert response.status_code == 302 and response["Location"] == HOUSEHOLD
    # The portal now speaks Jose's language, not the language the code was sent in.
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "vi"
    session = PortalSession.objects.get()
    assert session.person == jose
    entry = AuditEntry.objects.get(action="portal.session.started")
    assert entry.actor_label == f"portal:person:{jose.pk}"
    assert (entry.object_id, entry.after) == (str(session.pk), {"via": "code"})
    assert browser.get(HOUSEHOLD).status_code == 200
    assert CHOICE_KEY not in browser.session


def test_two_guardians_sharing_an_email_choose_too(parent_of_three):
    jose = parent_of_three.other_guardian
    EmailFactory(person=jose, value="maria.lopez@example.org")
    browser = _browser()
    response = _enter_right_code(
        browser, identifier="Maria.Lopez@example.org", address="maria.lopez@example.org"
    )
    assert response["Location"] == CHOOSE
    assert browser.post(CHOOSE, {"person": jose.pk})["Location"] == HOUSEHOLD
    assert PortalSession.objects.get().person == jose


@pytest.mark.parametrize(
    "forged",
    ["another_family", "not_a_guardian_on_the_phone", "no_such_person", "huge", "not_a_number"],
)
def test_a_forged_person_id_is_refused_next_to_the_field(family_phone, forged):
    other_parent = PersonFactory(first_name="Olga", last_name="Other")
    StudentContactFactory(person=other_parent)
    PhoneFactory(person=other_parent, value="+13125550150")
    # An aunt on the family phone who is an emergency contact, not a legal guardian.
    aunt = PersonFactory(first_name="Rosa", last_name="Lopez")
    PhoneFactory(person=aunt, value=FAMILY_PHONE)
    StudentContactFactory(
        student=family_phone.children[0],
        person=aunt,
        legal_guardian=False,
        relationship="aunt_uncle",
    )
    posted = {
        "another_family": other_parent.pk,
        "not_a_guardian_on_the_phone": aunt.pk,
        "no_such_person": 987654321,
        "huge": 10**30,
        "not_a_number": "Jose",
    }[forged]
    browser = _browser()
    _enter_right_code(browser)
    assert "Rosa" not in browser.get(CHOOSE).content.decode()

    response = browser.post(CHOOSE, {"person": posted})
    html = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'<p class="error" id="id_person_error">[^<]+</p>', html)
    assert "Who are you?" in html and "Jose Lopez" in html
    assert _nobody_signed_in(browser)
    # The choice is still open for the right answer.
    maria = family_phone.guardian
    assert browser.post(CHOOSE, {"person": maria.pk})["Location"] == HOUSEHOLD
    assert PortalSession.objects.get().person == maria


def test_a_choice_without_a_name_is_a_400(family_phone):
    browser = _browser()
    _enter_right_code(browser)
    response = browser.post(CHOOSE, {})
    assert response.status_code == 400 and 'id="id_person_error"' in response.content.decode()
    assert _nobody_signed_in(browser)


def test_the_choice_token_cannot_be_reused(family_phone):
    maria, jose = family_phone.guardian, family_phone.other_guardian
    browser = _browser()
    _enter_right_code(browser)
    token = browser.session[CHOICE_KEY]
    choice = services.signin_choice_get(token)
    assert browser.post(CHOOSE, {"person": jose.pk})["Location"] == HOUSEHOLD

    # Another browser carrying the same token, and the service called with the spent row.
    thief = _browser()
    stolen = thief.session
    stolen[CHOICE_KEY] = token
    stolen.save()
    assert thief.get(CHOOSE)["Location"] == SIGN_IN
    assert thief.post(CHOOSE, {"person": maria.pk})["Location"] == SIGN_IN
    assert services.signin_choice_get(token) is None
    with pytest.raises(DomainError) as err:
        services.signin_choice_make(choice=choice, person_id=maria.pk)
    assert (err.value.code, err.value.field) == ("expired", "person")
    # The same browser once more: nothing pending any more.
    assert browser.post(CHOOSE, {"person": maria.pk})["Location"] == SIGN_IN
    assert list(PortalSession.objects.values_list("person", flat=True)) == [jose.pk]


def test_the_token_is_stored_only_hashed(family_phone):
    browser = _browser()
    _enter_right_code(browser)
    token = browser.session[CHOICE_KEY]
    row = SignInChoice.objects.get()
    assert token not in row.token_hash and len(row.token_hash) == 64


def test_an_expired_choice_sends_the_browser_back_to_sign_in(family_phone):
    browser = _browser()
    _enter_right_code(browser)
    SignInChoice.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert browser.get(CHOOSE)["Location"] == SIGN_IN
    response = browser.post(CHOOSE, {"person": family_phone.guardian.pk})
    assert response.status_code == 302 and response["Location"] == SIGN_IN
    assert _nobody_signed_in(browser)


def test_the_chooser_without_a_pending_choice_redirects_to_sign_in(family_phone):
    browser = _browser()
    assert browser.get(CHOOSE)["Location"] == SIGN_IN
    response = browser.post(CHOOSE, {"person": family_phone.guardian.pk})
    assert response.status_code == 302 and response["Location"] == SIGN_IN
    # A right code that is not yet entered is no choice either.
    request_code(browser, "312-555-0101")
    assert browser.get(CHOOSE)["Location"] == SIGN_IN
    assert _nobody_signed_in(browser)


def test_a_guardian_who_no_longer_has_the_phone_cannot_be_chosen(family_phone):
    jose = family_phone.other_guardian
    browser = _browser()
    _enter_right_code(browser)
    ContactPoint.objects.filter(person=jose, value=FAMILY_PHONE).update(
        status=ContactPoint.Status.OPTED_OUT
    )
    assert "Jose Lopez" not in browser.get(CHOOSE).content.decode()
    response = browser.post(CHOOSE, {"person": jose.pk})
    assert response.status_code == 400
    assert _nobody_signed_in(browser)


def test_a_guardian_who_adds_the_phone_after_the_code_was_checked_is_not_offered(family_phone):
    browser = _browser()
    _enter_right_code(browser)
    newcomer = PersonFactory(first_name="Nora", last_name="Newcomer")
    PhoneFactory(person=newcomer, value=FAMILY_PHONE)
    StudentContactFactory(student=family_phone.children[0], person=newcomer)
    assert "Nora" not in browser.get(CHOOSE).content.decode()
    assert browser.post(CHOOSE, {"person": newcomer.pk}).status_code == 400
    assert _nobody_signed_in(browser)


def test_one_guardian_on_the_phone_signs_in_straight_away(parent_of_three):
    browser = _browser()
    response = _enter_right_code(browser)
    assert response.status_code == 302 and response["Location"] == HOUSEHOLD
    assert SignInChoice.objects.count() == 0
    assert PortalSession.objects.get().person == parent_of_three.guardian
    assert browser.get(HOUSEHOLD).status_code == 200


def test_the_answer_before_the_code_is_the_same_for_shared_single_and_unknown_addresses(
    family_phone,
):
    shared, single, unknown = _browser(), _browser(), _browser()
    answers = [
        request_code(b, phone)
        for b, phone in (
            (shared, "312-555-0101"),
            (single, "312-555-0102"),
            (unknown, "312-555-0199"),
        )
    ]
    assert {(a.status_code, a["Location"]) for a in answers} == {(302, CODE)}
    pages = [_without_csrf(b.get(CODE)) for b in (shared, single, unknown)]
    assert pages[0] == pages[1] == pages[2]
    wrong = [b.post(CODE, {"code": "000000"}) for b in (shared, single, unknown)]
    assert [w.status_code for w in wrong] == [400, 400, 400]
    assert SignInChoice.objects.count() == 0


def test_the_chooser_speaks_arabic(family_phone):
    browser = _browser(language="ar")
    _enter_right_code(browser)
    html = browser.get(CHOOSE).content.decode()
    assert 'dir="rtl"' in html and "من أنت؟" in html and "اختر اسمك" in html


def test_no_phone_code_or_token_reaches_a_log_line(family_phone, caplog):
    caplog.set_level(logging.DEBUG)
    browser = _browser()
    _enter_right_code(browser)
    token = browser.session[CHOICE_KEY]
    code = code_from_outbox(FAMILY_PHONE)
    browser.post(CHOOSE, {"person": "987654321"})
    browser.post(CHOOSE, {"person": family_phone.other_guardian.pk})
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("3125550101", "555-0101", code, token):
        assert secret not in text


def test_the_chooser_page_queries_do_not_grow_with_the_guardians(
    family_phone, django_assert_num_queries
):
    third = PersonFactory(first_name="Tia", last_name="Lopez")
    for guardians in (2, 3):
        if guardians == 3:
            PhoneFactory(person=third, value=FAMILY_PHONE)
            StudentContactFactory(student=family_phone.children[2], person=third)
        browser = _browser()
        _enter_right_code(browser)
        # The Django session, the pending choice with its code, the names.
        with django_assert_num_queries(3):
            html = browser.get(CHOOSE).content.decode()
        assert html.count('name="person"') == guardians
