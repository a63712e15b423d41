"""The portal speaks English, Spanish, Arabic (right to left) and Vietnamese, completely."""

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

import contacts.portal

LOCALE = Path(contacts.portal.__file__).parent / "locale"
LANGS = ["en", "es", "ar", "vi"]
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _unquote(text: str) -> str:
    escapes = {"n": "\n", "t": "\t"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), text.strip()[1:-1])


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgid, msgstr and flags (obsolete #~ entries are skipped)."""
    entries, current, field = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("#,"):
            current = current or {"flags": set(), "msgid": "", "msgstr": ""}
            current["flags"] |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("msgid "):
            current = current or {"flags": set(), "msgid": "", "msgstr": ""}
            field, current["msgid"] = "msgid", _unquote(line[6:])
        elif line.startswith(("msgid_plural ", "msgstr[")):
            field = "msgstr"
            current["msgstr"] += _unquote(line.split(" ", 1)[1])
        elif line.startswith("msgstr "):
            field, current["msgstr"] = "msgstr", _unquote(line[7:])
        elif line.startswith('"') and current is not None:
            current[field] += _unquote(line)
        elif not line.strip() and current is not None:
            entries.append(current)
            current = None
    return entries


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_has_no_untranslated_or_fuzzy_entry(lang):
    entries = read_po(LOCALE / lang / "LC_MESSAGES" / "django.po")
    assert len(entries) > 100
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    empty = [e["msgid"] for e in entries if e["msgid"] and not e["msgstr"].strip()]
    assert fuzzy == [] and empty == []
    for e in entries:
        assert sorted(PLACEHOLDER.findall(e["msgid"])) == sorted(
            PLACEHOLDER.findall(e["msgstr"])
        ), e["msgid"]


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalog_matches_the_po_file(lang):
    directory = LOCALE / lang / "LC_MESSAGES"
    with open(directory / "django.mo", "rb") as f:
        compiled = gettext.GNUTranslations(f)
    for e in read_po(directory / "django.po"):
        if e["msgid"]:
            assert compiled.gettext(e["msgid"]) == e["msgstr"], e["msgid"]


@pytest.mark.skipif(
    not shutil.which("xgettext"), reason="needs GNU gettext (apt-get install gettext)"
)
def test_every_portal_string_is_in_the_catalog(tmp_path):
    """makemessages on a copy of the app finds no string that the catalog lacks."""
    app = Path(contacts.portal.__file__).parent
    copy = tmp_path / "portal"
    shutil.copytree(app, copy, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    subprocess.run(
        # django-admin, not `python -m django`: the latter would put the app directory first on
        # sys.path, where contacts/portal/selectors.py shadows the standard library's selectors.
        [Path(sys.executable).parent / "django-admin", "makemessages", "-l", "es", "--no-location"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(settings.BASE_DIR),
            "PATH": os.environ.get("PATH", ""),
        },
    )
    fresh = {e["msgid"] for e in read_po(copy / "locale/es/LC_MESSAGES/django.po") if e["msgid"]}
    known = {e["msgid"] for e in read_po(app / "locale/es/LC_MESSAGES/django.po") if e["msgid"]}
    assert fresh - known == set()
    untranslated = [
        e["msgid"]
        for e in read_po(copy / "locale/es/LC_MESSAGES/django.po")
        if e["msgid"] and (not e["msgstr"] or "fuzzy" in e["flags"])
    ]
    assert untranslated == []


@pytest.mark.parametrize(
    ("lang", "direction", "text"),
    [
        ("en", "ltr", "My children"),
        ("es", "ltr", "Mis hijos"),
        ("ar", "rtl", "أطفالي"),
        ("vi", "ltr", "Con của tôi"),
    ],
)
def test_household_page_in_each_language(parent_of_three, as_guardian, lang, direction, text):
    page = as_guardian(parent_of_three.guardian, language=lang).get(reverse("portal:household"))
    html = page.content.decode()
    assert f'<html lang="{lang}" dir="{direction}">' in html
    assert text in html


def test_the_language_switcher_is_on_every_page(parent_of_three, as_guardian):
    client = as_guardian(parent_of_three.guardian)
    for name in ("household", "contact_add", "me", "preferences", "plan"):
        html = client.get(reverse(f"portal:{name}")).content.decode()
        assert html.count('name="language"') == 4, name
    html = Client().get(reverse("portal:sign_in")).content.decode()
    assert html.count('name="language"') == 4


def test_switching_language_sets_the_cookie_and_returns_to_the_page(client, db):
    response = client.post(
        reverse("portal:language"), {"language": "ar", "next": reverse("portal:sign_in")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("portal:sign_in")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"
    assert 'dir="rtl"' in client.get(reverse("portal:sign_in")).content.decode()


def test_the_switcher_refuses_to_redirect_off_site(client, db):
    response = client.post(
        reverse("portal:language"), {"language": "es", "next": "https://evil.example"}
    )
    assert response["Location"] == "/portal/"


def test_errors_are_in_arabic_for_an_arabic_reader(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    html = client.post(reverse("portal:sign_in"), {"identifier": "12"}).content.decode()
    assert "هذا ليس رقم هاتف صحيحًا" in html


@pytest.mark.parametrize("target", ["household", "portal:household", "", "javascript:x", "\\\\x"])
def test_the_switcher_goes_home_for_anything_but_a_path_of_this_site(client, db, target):
    response = client.post(reverse("portal:language"), {"language": "es", "next": target})
    assert response.status_code == 302 and response["Location"] == "/portal/"


@pytest.mark.parametrize("lang", LANGS)
def test_phone_numbers_in_an_error_read_left_to_right_in_every_language(client, db, lang):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    html = client.post(reverse("portal:sign_in"), {"identifier": "12"}).content.decode()
    error = re.search(r'<p class="error" id="id_identifier_error">(.*?)</p>', html).group(1)
    assert '<bdi dir="ltr">312-555-0123</bdi>' in error
    assert '<bdi dir="ltr">+52 55 1234 5678</bdi>' in error
    assert "&lt;" not in error  # isolated, not escaped twice


def test_an_arabic_readers_phone_error_keeps_the_example_numbers_isolated(
    as_guardian, parent_of_three
):
    client = as_guardian(parent_of_three.guardian, language="ar")
    payload = {"first_name": "Rosa", "last_name": "Diaz", "relationship": "grandparent",
               "phone": "555-12", "students": [parent_of_three.children[0].pk]}  # fmt: skip
    html = client.post(reverse("portal:contact_add"), payload).content.decode()
    error = re.search(r'<p class="error" id="id_phone_error">(.*?)</p>', html).group(1)
    assert error.startswith("هذا ليس رقم هاتف صحيحًا")
    assert error.count('<bdi dir="ltr">') == 2
