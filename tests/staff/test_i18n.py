"""The staff shell's own catalog (config/locale) is complete in en, es, ar and vi, compiled, and
holds every string of config/'s templates and code."""

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.portal.test_i18n import PLACEHOLDER, read_po

CONFIG = Path(settings.BASE_DIR) / "config"
LOCALE = CONFIG / "locale"
LANGS = ["en", "es", "ar", "vi"]


def test_the_catalog_is_on_the_locale_paths():
    assert LOCALE in [Path(p) for p in settings.LOCALE_PATHS]


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_has_no_untranslated_or_fuzzy_entry(lang):
    entries = [e for e in read_po(LOCALE / lang / "LC_MESSAGES" / "django.po") if e["msgid"]]
    assert len(entries) >= 15
    assert [e["msgid"] for e in entries if "fuzzy" in e["flags"] or not e["msgstr"]] == []
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
def test_every_string_of_config_is_in_the_catalog(tmp_path):
    """makemessages on a copy of config/ finds no string that the catalog lacks."""
    copy = tmp_path / "config"
    shutil.copytree(CONFIG, copy, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    subprocess.run(
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
    known = {e["msgid"] for e in read_po(LOCALE / "es/LC_MESSAGES/django.po") if e["msgid"]}
    assert fresh - known == set()
