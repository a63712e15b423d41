"""The message storage: Django's signed cookie, each distinct value signed once per process."""

from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage, MessagePartSerializer
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils.html import escape

from contacts.portal import messages as storage

THANKS = "Thank you. Your children's contacts are confirmed."


def _parts(*texts: str) -> list[str]:
    return MessagePartSerializer().dumps([Message(constants.SUCCESS, text) for text in texts])


def _request():
    return RequestFactory().get("/portal/household/")


def test_the_cookie_value_is_the_one_django_signs_and_reads_back():
    ours = storage.SignedOnceCookieStorage(_request())
    django = CookieStorage(_request())
    for parts in (_parts(THANKS), _parts(THANKS, "Saved."), []):
        for encode_empty in (False, True):
            value = ours._encode_parts(parts, encode_empty)
            assert value == django._encode_parts(parts, encode_empty)
            assert ours._encode_parts(parts, encode_empty) == value  # from the memo
    value = ours._encode_parts(_parts(THANKS))
    assert [m.message for m in django._decode(value)] == [THANKS]


def test_a_new_secret_key_signs_anew():
    value = storage.SignedOnceCookieStorage(_request())._encode_parts(_parts(THANKS))
    with override_settings(SECRET_KEY="another-key-for-this-test-only"):
        rekeyed = storage.SignedOnceCookieStorage(_request())._encode_parts(_parts(THANKS))
        assert rekeyed != value
        assert CookieStorage(_request())._decode(value) is None  # the old value is refused
        assert [m.message for m in CookieStorage(_request())._decode(rekeyed)] == [THANKS]


def test_the_memo_stays_bounded():
    ours = storage.SignedOnceCookieStorage(_request())
    for i in range(storage._SIGNED_MAX * 2):
        ours._encode_parts(_parts(f"notice {i}"))
    assert len(storage._SIGNED) <= storage._SIGNED_MAX


def test_the_notice_after_confirm_all_reaches_the_next_page_once(maria_client):
    response = maria_client.post(reverse("portal:confirm"))
    assert response.status_code == 302
    assert response.cookies["messages"].value
    shown = escape(THANKS)
    assert shown in maria_client.get(response["Location"]).content.decode()
    assert shown not in maria_client.get(response["Location"]).content.decode()
