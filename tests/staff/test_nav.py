"""The staff navigation registry and the header built from it: each role sees exactly the pages
registered for it, the prominent entry stands apart, and the header names who is signed in."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext_lazy

from config import staffnav
from privacy.roles import CONTACT_EDITORS, Role
from tests.factories import UserFactory

EVERY_ROLE = set(Role.values)


@pytest.fixture
def extra_pages(monkeypatch):
    """A registry holding only the portal's review queue and pages of other apps as they will
    register them (pointing at URLs that exist today), so the test does not change as apps
    add pages."""
    review = staffnav._pages["pickup_review"]
    monkeypatch.setattr(staffnav, "_pages", {"pickup_review": review})
    staffnav.register_staff_page(
        key="crisis_dashboard",
        label=gettext_lazy("Staff home"),
        url_name="staff_home",
        roles={Role.CRISIS_LEAD},
        order=10,
    )
    staffnav.register_staff_page(
        key="disclosures",
        label="Disclosure log",
        url_name="healthz",
        roles={Role.LEGAL},
    )
    staffnav.register_staff_page(
        key="agency_request",
        label="An officer is asking for a student or records",
        url_name="api-docs",
        roles=EVERY_ROLE,
        order=1,
    )


def _nav_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="staff-nav".*?</nav>', html, re.S)
    return re.findall(r'<a href="([^"]+)"', nav.group(0)) if nav else []


def _header(html: str) -> str:
    return re.search(r'<header class="staff-top">.*?</header>', html, re.S).group(0)


@pytest.mark.parametrize(
    ("role", "links"),
    [
        (Role.SCHOOL_STAFF, ["/portal/staff/review/"]),
        (Role.DATA_TEAM, ["/portal/staff/review/"]),
        (Role.CRISIS_LEAD, ["/staff/", "/portal/staff/review/"]),
        (Role.COUNSELOR, []),
        (Role.LEGAL, ["/healthz"]),
    ],
)
def test_the_header_shows_exactly_the_pages_of_the_role(extra_pages, lincoln, role, links):
    user = UserFactory(roles=[role], schools=[lincoln])
    client = Client()
    client.force_login(user)
    header = _header(client.get(reverse("staff_home"), follow=True).content.decode())
    assert _nav_links(header) == links
    # The officer entry is for every role, drawn apart from the list.
    assert header.count("An officer is asking for a student or records") == 1
    assert re.search(r'<p class="prominent"><a href="/api/docs/"', header)


def test_the_review_queue_is_registered_for_the_roles_that_may_change_contacts():
    page = next(p for p in staffnav.registered_pages() if p.url_name == "portal:review_queue")
    assert page.roles == CONTACT_EDITORS and page.start_for == {Role.SCHOOL_STAFF}


def test_the_officer_entry_appears_only_once_registered(lincoln_staff, signed_in, monkeypatch):
    monkeypatch.setattr(staffnav, "_pages", {"pickup_review": staffnav._pages["pickup_review"]})
    html = signed_in(lincoln_staff).get(reverse("portal:review_queue")).content.decode()
    assert "prominent" not in _header(html)


def test_the_header_names_the_signed_in_staff_member_and_their_roles(db, signed_in):
    user = UserFactory(
        username="pat", first_name="Pat", last_name="Nguyen", roles=[Role.CRISIS_LEAD, Role.LEGAL]
    )
    header = _header(signed_in(user).get(reverse("staff_home"), follow=True).content.decode())
    assert "Signed in as <strong>Pat Nguyen</strong>" in header
    assert "Crisis team lead, Legal officer" in header


def test_the_current_page_is_marked_in_the_navigation(lincoln_staff, signed_in):
    html = signed_in(lincoln_staff).get(reverse("portal:review_queue")).content.decode()
    assert '<a href="/portal/staff/review/" aria-current="page">' in html


def test_the_header_is_in_the_staff_members_language(lincoln_staff, signed_in):
    client = signed_in(lincoln_staff)
    client.cookies["django_language"] = "es"
    header = _header(client.get(reverse("portal:review_queue")).content.decode())
    assert "Sesión iniciada como" in header and "Personal escolar" in header
    assert "Adultos para recoger por revisar" in header and "Cerrar sesión" in header


def test_signed_out_visitors_see_no_navigation_and_no_sign_out(db):
    header = _header(Client().get(reverse("portal:staff_login")).content.decode())
    assert "staff-nav" not in header and "sign-out" not in header
    assert header.count('name="language"') == 4


def test_registering_a_key_again_replaces_its_entry():
    try:
        staffnav.register_staff_page(key="x", label="One", url_name="staff_home", roles={"a"})
        staffnav.register_staff_page(key="x", label="Two", url_name="staff_home", roles={"a"})
        assert [page.label for page in staffnav.pages_for_roles({"a"})] == ["Two"]
    finally:
        staffnav.unregister_staff_page("x")


def test_pages_come_in_order_then_by_key():
    try:
        for key, order in [("b", 5), ("a", 5), ("c", 1)]:
            staffnav.register_staff_page(
                key=key, label=key, url_name="staff_home", roles={"r"}, order=order
            )
        assert [page.key for page in staffnav.pages_for_roles({"r"})] == ["c", "a", "b"]
    finally:
        for key in "abc":
            staffnav.unregister_staff_page(key)


def test_a_start_page_must_be_visible_to_its_roles():
    with pytest.raises(ValueError, match="start_for"):
        staffnav.register_staff_page(
            key="bad", label="Bad", url_name="staff_home", roles={"a"}, start_for={"b"}
        )
    with pytest.raises(ValueError, match="roles"):
        staffnav.register_staff_page(key="bad", label="Bad", url_name="staff_home", roles=set())
    assert all(page.key != "bad" for page in staffnav.registered_pages())


def test_an_inactive_user_has_no_pages(lincoln_staff):
    lincoln_staff.is_active = False
    assert staffnav.pages_for(lincoln_staff) == []


def test_each_language_is_named_in_itself_whatever_the_page_language(db):
    client = Client()
    client.cookies["django_language"] = "ar"
    header = _header(client.get(reverse("portal:staff_login")).content.decode())
    for name in ("English", "Español", "العربية", "Tiếng Việt"):
        assert f">{name}</button>" in header


def test_a_page_rendered_without_a_request_gets_a_signed_out_header(db):
    from django.template.loader import render_to_string

    html = render_to_string("staff/home.html", {"pages": []})
    assert "Riverside Unified School District" in html and "sign-out" not in html
