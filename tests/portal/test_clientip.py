"""Per-address sign-in limits count the browser's address, also behind a reverse proxy."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from contacts.portal.clientip import client_ip

from .conftest import NO_BOUNDARY

PROXY = "10.0.0.2"


def _request(forwarded=None):
    extra = {"REMOTE_ADDR": PROXY}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_proxies_the_header_is_ignored(settings):
    settings.NUM_PROXIES = 0
    assert client_ip(_request("203.0.113.9")) == PROXY


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "203.0.113.9", "203.0.113.9"),
        # The client wrote the left entry itself; our one proxy appended the right one.
        (1, "198.51.100.66, 203.0.113.9", "203.0.113.9"),
        (2, "198.51.100.66, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        (2, "203.0.113.9", PROXY),  # fewer entries than proxies: not from our proxies
        (1, "", PROXY),
    ],
)
def test_behind_proxies_the_client_is_counted_from_the_right(
    settings, proxies, forwarded, expected
):
    settings.NUM_PROXIES = proxies
    assert client_ip(_request(forwarded)) == expected


def test_parents_behind_one_proxy_do_not_share_one_limit(parent_of_three, settings):
    settings.NUM_PROXIES = 1
    settings.PORTAL_RATE_PER_IP = (2, NO_BOUNDARY)
    url = reverse("portal:sign_in")
    for n in range(4):  # four parents, each from their own address, through the same proxy
        response = Client().post(
            url,
            {"identifier": "312-555-0101"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
        assert response.status_code == 302
    for _ in range(2):
        Client().post(
            url,
            {"identifier": "312-555-0199"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="203.0.113.50",
        )
    refused = Client().post(
        url, {"identifier": "312-555-0198"}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.50"
    )
    assert refused.status_code == 429
