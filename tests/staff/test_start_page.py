"""After a password sign-in each staff member lands on their role's start page; signing out
is a POST that ends the session and returns to the staff sign-in page."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from config import staffnav
from privacy.roles import Role
from tests.factories import UserFactory
from tests.staff.conftest import PASSWORD

LOGIN = reverse("portal:staff_login")


def _sign_in(client, username, **extra):
    return client.post(LOGIN, {"username": username, "password": PASSWORD, **extra})


def test_school_staff_sign_in_and_land_on_the_review_queue(lincoln_staff):
    client = Client()
    response = _sign_in(client, "lincoln.office")
    assert response.status_code == 302 and response["Location"] == reverse("staff_home")
    home = client.get(response["Location"])
    assert home.status_code == 302 and home["Location"] == reverse("portal:review_queue")
    assert client.get(home["Location"]).status_code == 200


@pytest.fixture
def district_admin(db):
    """The one role no app gives a start page of its own."""
    return UserFactory(username="district.admin", roles=[Role.ADMIN])


def test_a_role_without_a_start_page_gets_the_staff_home_listing_its_pages(district_admin):
    assert staffnav.start_page_for(district_admin) is None
    client = Client()
    _sign_in(client, "district.admin")
    page = client.get(reverse("staff_home"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>Staff home</h1>" in html
    assert '<ul class="page-list">' in html and reverse("portal:review_queue") in html


def test_a_staff_member_without_a_role_is_told_to_ask_for_one(db, signed_in):
    html = signed_in(UserFactory(username="nobody")).get(reverse("staff_home")).content.decode()
    assert "Your account has no staff pages yet" in html
    assert "page-list" not in html


def test_a_registered_start_page_takes_the_role_there(district_admin, signed_in):
    staffnav.register_staff_page(
        key="dashboard_stand_in",
        label="Dashboard",
        url_name="healthz",
        roles={Role.ADMIN},
        start_for={Role.ADMIN},
    )
    try:
        response = signed_in(district_admin).get(reverse("staff_home"))
    finally:
        staffnav.unregister_staff_page("dashboard_stand_in")
    assert response.status_code == 302 and response["Location"] == reverse("healthz")


def test_the_lowest_ordered_start_page_wins_for_several_roles(db, lincoln, signed_in):
    user = UserFactory(roles=[Role.SCHOOL_STAFF, Role.CRISIS_LEAD], schools=[lincoln])
    staffnav.register_staff_page(
        key="first",
        label="First",
        url_name="healthz",
        roles={Role.CRISIS_LEAD},
        order=1,
        start_for={Role.CRISIS_LEAD},
    )
    try:
        response = signed_in(user).get(reverse("staff_home"))
    finally:
        staffnav.unregister_staff_page("first")
    assert response["Location"] == reverse("healthz")


def test_a_page_asked_for_before_sign_in_comes_first(lincoln_staff):
    response = _sign_in(Client(), "lincoln.office", next="/staff/")
    assert response["Location"] == "/staff/"
    response = _sign_in(Client(), "lincoln.office", next="https://evil.example/")
    assert response["Location"] == reverse("staff_home")


def test_staff_pages_send_the_signed_out_to_the_staff_sign_in(db):
    response = Client().get(reverse("staff_home"))
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/staff/"
    assert settings.LOGIN_URL == "portal:staff_login"


def test_sign_out_ends_the_session_and_returns_to_the_sign_in_page(lincoln_staff, signed_in):
    client = signed_in(lincoln_staff)
    response = client.post(reverse("staff_sign_out"))
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("portal:review_queue")).status_code == 302


def test_sign_out_is_never_a_get(lincoln_staff, signed_in):
    client = signed_in(lincoln_staff)
    assert client.get(reverse("staff_sign_out")).status_code == 405
    assert "_auth_user_id" in client.session


def test_sign_out_checks_csrf(lincoln_staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(type(lincoln_staff).objects.get(pk=lincoln_staff.pk))
    assert client.post(reverse("staff_sign_out")).status_code == 403
    assert "_auth_user_id" in client.session


@pytest.mark.parametrize(("lang", "direction"), [("es", "ltr"), ("ar", "rtl"), ("vi", "ltr")])
def test_choosing_a_language_keeps_it_for_the_next_pages(lincoln_staff, signed_in, lang, direction):
    client = signed_in(lincoln_staff)
    queue = reverse("portal:review_queue")
    response = client.post(reverse("staff_language"), {"language": lang, "next": queue})
    assert response.status_code == 302 and response["Location"] == queue
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == lang
    html = client.get(queue).content.decode()
    assert f'<html lang="{lang}" dir="{direction}">' in html


def test_the_language_choice_never_redirects_off_site(db):
    response = Client().post(
        reverse("staff_language"), {"language": "es", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
