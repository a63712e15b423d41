"""Every template in every language, naming the district, within SMS segment limits."""

import pytest
from django.conf import settings

from alerts import sms
from alerts.templates import TEMPLATES, language_for, render_template

LANGUAGES = ["en", "es", "ar", "vi"]
# Long-ish real values: three children's names, the longest school name, a portal link.
CONTEXT = {
    "code": "482913",
    "adult": "Guadalupe Hernández",
    "students": "Ana, Luis, Sofia",
    "school": "Washington Middle School",
    "link": "https://reunify.example.org/p/Xk29aQ",
    "deadline": "10/14",
    # Case messages (reunify registers its templates with alerts).
    "drill": "",
    "case": "1042",
    "places": "Washington Middle School, 4400 North Sheridan Road",
    "name": "Riverside Family Legal Aid",
    "contact": "+1 312 555 0142",
    "text": "Free legal advice for families, Monday to Friday.",
    "student": "Guadalupe Hernández",
    "minutes": "30",
    "site": "Riverside High School gym, 20 Oak St",
    "reference": "R4821",
    "time": "2:45 PM",
    "when": "from 1:30 PM",
    # Campaigns and agency requests.
    "office_phone": "+1 312 555 0100",
    "legal_phone": "+1 312 555 0190",
}


@pytest.mark.parametrize("key", sorted(TEMPLATES))
@pytest.mark.parametrize("language", LANGUAGES)
def test_template_is_translated_names_the_district_and_fits(key, language):
    subject, body = render_template(key, language, "sms", CONTEXT)
    en_subject, en_body = render_template(key, "en", "sms", CONTEXT)
    assert settings.DISTRICT_NAME in body
    if language != "en":
        assert body != en_body, f"{key} has no {language} translation"
        assert subject != en_subject, f"{key} subject has no {language} translation"
    assert sms.segments(body) <= sms.MAX_SEGMENTS, (key, language, sms.segments(body))


def test_code_in_spanish_arabic_vietnamese():
    ctx = {"code": "123456"}
    assert render_template("portal.code", "es", "sms", ctx)[1].startswith(
        f"{settings.DISTRICT_NAME}: su código es 123456"
    )
    assert "رمزك هو 123456" in render_template("portal.code", "ar", "sms", ctx)[1]
    assert "mã của bạn là 123456" in render_template("portal.code", "vi", "sms", ctx)[1]


@pytest.mark.parametrize(
    ("preferred", "chosen"),
    [("es-MX", "es"), ("ar", "ar"), ("vi-VN", "vi"), ("so", "en"), ("", "en"), (None, "en")],
)
def test_language_is_the_recipients_with_english_fallback(preferred, chosen):
    assert language_for(preferred) == chosen


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("ó" * 70, 1),
        ("ó" * 71, 2),
        ("{" * 80, 1),
        ("{" * 81, 2),
    ],
)
def test_segment_arithmetic(text, count):
    assert sms.segments(text) == count


def test_a_template_registered_again_under_its_key_is_rendered_with_its_new_text(monkeypatch):
    """Translated texts are kept per key and language, but never outlive the entry they came
    from."""
    from alerts import templates

    monkeypatch.setitem(templates.TEMPLATES, "tests.kept", ("Hi", "First {code}"))
    assert render_template("tests.kept", "es", "sms", {"code": "1"}) == ("Hi", "First 1")
    monkeypatch.setitem(templates.TEMPLATES, "tests.kept", ("Hi", "Second {code}"))
    assert render_template("tests.kept", "es", "sms", {"code": "2"}) == ("Hi", "Second 2")
