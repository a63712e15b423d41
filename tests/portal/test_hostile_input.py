"""No input a browser can send makes a portal page answer 500: every form and every id in a
path, with empty, oversized, binary, non-Latin, out-of-range and repeated values."""

import pytest
from django.test import Client
from django.urls import reverse

from contacts.models import ContactPoint
from tests.portal.conftest import sign_in_client

FIELDS = [
    "identifier", "code", "person", "first_name", "last_name", "relationship", "phone", "email",
    "students", "emergency", "pickup", "emergency_priority", "confirm", "value", "label",
    "preferred_language", "sms", "email", "voice", "affidavit_on_file", "affidavit_signed_on",
    "direction", "decision", "language", "next",
]  # fmt: skip
VALUES = [
    "",
    "\x00",
    "x" * 5000,
    "٣١٢٥٥٥٠١٤٤",  # Arabic-Indic digits
    "-1",
    "0",
    "9" * 30,
    "2024-02-30",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "💥\u202e",
    ["1", "2", "1"],
]
BIG = 10**30


def _pages(family, carmen):
    point = ContactPoint.objects.filter(person=family.guardian).first()
    return [
        reverse("portal:sign_in"),
        reverse("portal:code"),
        reverse("portal:choose"),
        reverse("portal:link", args=["x" * 300]),
        reverse("portal:language"),
        reverse("portal:confirm"),
        reverse("portal:contact_add"),
        reverse("portal:contact_edit", args=[carmen.pk]),
        reverse("portal:contact_edit", args=[BIG]),
        reverse("portal:contact_remove", args=[carmen.pk]),
        reverse("portal:contact_move", args=[carmen.pk]),
        reverse("portal:contact_move", args=[BIG]),
        reverse("portal:me"),
        reverse("portal:verify", args=[point.pk]),
        reverse("portal:verify", args=[BIG]),
        reverse("portal:resend", args=[BIG]),
        reverse("portal:me_remove", args=[BIG]),
        reverse("portal:preferences"),
        reverse("portal:plan"),
        reverse("portal:review_decide", args=[BIG]),
    ]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: repr(v)[:20])
def test_no_form_value_makes_a_page_fail(parent_of_three, carmen, lincoln_staff, value):
    browser = sign_in_client(Client(), parent_of_three.guardian)
    payload = dict.fromkeys(FIELDS, value)
    for url in _pages(parent_of_three, carmen):
        for method in (browser.get, browser.post):
            response = method(url, payload) if method == browser.post else method(url)
            assert response.status_code < 500, (url, response.status_code)


@pytest.mark.parametrize("value", VALUES, ids=lambda v: repr(v)[:20])
def test_no_value_makes_the_staff_review_fail(pending, lincoln_staff, value):
    link = pending.first()
    staff = Client()
    staff.force_login(type(lincoln_staff).objects.get(pk=lincoln_staff.pk))
    for url in (
        reverse("portal:review_decide", args=[link.pk]),
        reverse("portal:review_decide", args=[BIG]),
        reverse("portal:api_review_decide", args=[link.pk]),
        reverse("portal:api_review_decide", args=[BIG]),
    ):
        form = staff.post(url, {"decision": value, "reason": value})
        body = {"decision": value, "reason": value, "extra": {"nested": value}}
        as_json = staff.post(url, body, content_type="application/json")
        assert form.status_code < 500 and as_json.status_code < 500, url
