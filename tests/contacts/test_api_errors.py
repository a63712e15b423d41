"""An unexpected error under the API answers in the API's error shape, with no traceback."""

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.urls("tests.contacts.crash_urls")


def test_a_bug_behind_the_api_is_a_500_in_the_apis_shape(db):
    response = Client(raise_request_exception=False).get("/api/v1/crash/")
    assert response.status_code == 500
    assert response.json() == {
        "code": "server_error",
        "message": "Something went wrong on our side. Please try again.",
        "extra": {},
    }
    assert "a bug" not in response.content.decode()


def test_a_bug_on_a_page_is_djangos_error_page(db):
    with override_settings(DEBUG=False):
        response = Client(raise_request_exception=False).get("/portal/crash/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
