"""reunify's message templates render in the four languages, and a drill says so."""

import pytest

from alerts.templates import render_template

CONTEXT = {"drill": "", "students": "Ana", "places": "Lincoln, 1 Main St", "case": "4"}


@pytest.mark.parametrize(
    ("language", "word"), [("en", "YES"), ("es", "SI"), ("ar", "نعم"), ("vi", "CO")]
)
def test_pickup_request_in_each_language_asks_for_the_yes_word(language, word):
    subject, body = render_template("reunify.pickup_request", language, "sms", CONTEXT)
    assert word in body and "Lincoln, 1 Main St" in body and "Riverside" in body


@pytest.mark.parametrize("key", ["reunify.pickup_request", "reunify.pickup_confirmed"])
@pytest.mark.parametrize("language", ["en", "es", "ar", "vi"])
def test_templates_render_in_every_language(key, language):
    subject, body = render_template(key, language, "sms", CONTEXT)
    assert subject and body.startswith("Riverside")
