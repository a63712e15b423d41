"""Notices after a change: Django's own message storage (a signed cookie, the session for what
does not fit)."""

from django.urls import reverse
from django.utils.html import escape

THANKS = "Thank you. Your children's contacts are confirmed."


def test_the_notice_after_confirm_all_reaches_the_next_page_once(maria_client):
    response = maria_client.post(reverse("portal:confirm"))
    assert response.status_code == 302
    assert response.cookies["messages"].value
    shown = escape(THANKS)
    assert shown in maria_client.get(response["Location"]).content.decode()
    assert shown not in maria_client.get(response["Location"]).content.decode()
