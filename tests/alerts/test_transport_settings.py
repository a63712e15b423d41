"""Outside the embedded demo, messages need real transports: the web and worker processes refuse
to start without them and `check --deploy` says which settings are missing. In the demo the
console transport is the demo's phone."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from alerts import conf
from alerts.models import Message

from .helpers import queue_sms
from .workers import ROOT

pytestmark = pytest.mark.django_db

TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "secret",
    "TWILIO_FROM_NUMBER": "+13125550100",
}


@pytest.fixture
def production(settings, monkeypatch):
    """DATABASE_URL set: not the embedded install; no transport chosen, nothing configured."""
    settings.EMBEDDED = False
    for name in ("ALERTS_TRANSPORT_SMS", "ALERTS_TRANSPORT_VOICE", "ALERTS_TRANSPORT_EMAIL"):
        delattr(settings, name)
    for name in [*TWILIO, "EMAIL_URL"]:
        monkeypatch.delenv(name, raising=False)
        if hasattr(settings, name):
            delattr(settings, name)
    return settings


def test_without_twilio_and_email_url_nothing_starts_and_the_message_names_them(production):
    with pytest.raises(ImproperlyConfigured) as refused:
        conf.require_delivery_configured()
    for name in [*TWILIO, "EMAIL_URL"]:
        assert name in str(refused.value)


def test_deploy_check_is_an_error_with_an_id(production):
    with pytest.raises(SystemCheckError, match=r"alerts\.E001.*TWILIO_ACCOUNT_SID.*EMAIL_URL"):
        call_command("check", "--deploy", "--tag", "alerts")


def test_with_twilio_and_email_url_the_check_passes(production, monkeypatch):
    for name, value in {**TWILIO, "EMAIL_URL": "smtp+tls://relay.example.org:587"}.items():
        monkeypatch.setenv(name, value)
    conf.require_delivery_configured()
    call_command("check", "--deploy", "--tag", "alerts")
    assert (conf.transport_name("sms"), conf.transport_name("email")) == ("twilio", "smtp")


def test_no_console_by_default_outside_the_demo(production, monkeypatch):
    monkeypatch.setenv("EMAIL_URL", "smtp://relay.example.org")
    assert conf.transport_name("sms") == "twilio"
    assert conf.missing_delivery_settings() == list(TWILIO)


def test_an_explicit_console_starts_but_fails_the_deploy_check(production):
    production.ALERTS_TRANSPORT_SMS = "console"
    production.ALERTS_TRANSPORT_VOICE = "console"
    production.ALERTS_TRANSPORT_EMAIL = "console"
    conf.require_delivery_configured()
    with pytest.raises(SystemCheckError, match=r"alerts\.E002"):
        call_command("check", "--deploy", "--tag", "alerts")


def test_outside_the_demo_the_console_never_prints_the_body(production, capsys, commit):
    production.ALERTS_TRANSPORT_SMS = "console"
    commit(queue_sms)
    out = capsys.readouterr().out
    assert "482913" not in out and "not sent" in out
    assert Message.objects.get().status == Message.Status.SENT


def test_in_the_demo_the_console_is_the_demos_phone(settings, capsys, commit):
    settings.EMBEDDED = True
    commit(queue_sms)
    out = capsys.readouterr().out
    assert "DEMO PHONE — not sent" in out and "482913" in out


def _start(command: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "ALERTS_"))}
    clean.pop("EMAIL_URL", None)
    clean.update(DATABASE_URL="postgres://nobody@127.0.0.1:9/none", SECRET_KEY="x", **env)
    return subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_the_web_process_refuses_to_start_without_transports():
    started = _start(["-c", "import config.wsgi"])
    assert started.returncode != 0
    assert "set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER, EMAIL_URL" in (
        started.stderr
    )
    configured = _start(["-c", "import config.wsgi"], **TWILIO, EMAIL_URL="smtp://relay:25")
    assert configured.returncode == 0, configured.stderr


def test_a_worker_refuses_to_start_without_transports():
    started = _start(
        ["-m", "celery", "-A", "config", "worker", "--pool", "solo", "--without-mingle"],
        CELERY_BROKER_URL="memory://",
    )
    assert started.returncode != 0
    assert "set TWILIO_ACCOUNT_SID" in started.stderr + started.stdout
