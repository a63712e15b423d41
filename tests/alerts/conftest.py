"""Fixtures for the alerts suite: the local Twilio fake, the local SMTP server, settings that
point the transports at them, and a clean registry per test."""

import pytest
from twilio.request_validator import RequestValidator

from alerts import registry
from tests.fakes.smtp import FakeSMTP
from tests.fakes.twilio import FakeTwilio

SENDER = "+13125550100"


@pytest.fixture(scope="session")
def twilio_server():
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_twilio(twilio_server, settings):
    twilio_server.reset()
    twilio_server.latency = 0.0
    settings.TWILIO_ACCOUNT_SID = twilio_server.account_sid
    settings.TWILIO_AUTH_TOKEN = twilio_server.auth_token
    settings.TWILIO_API_BASE_URL = twilio_server.url
    settings.TWILIO_FROM_NUMBER = SENDER
    settings.ALERTS_TRANSPORT_SMS = "twilio"
    settings.ALERTS_TRANSPORT_VOICE = "twilio"
    settings.ALERTS_PROVIDER_TIMEOUT = 1.0
    return twilio_server


@pytest.fixture(scope="session")
def smtp_server():
    fake = FakeSMTP().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_smtp(smtp_server, settings):
    smtp_server.inbox.clear()
    smtp_server.refuse.clear()
    settings.ALERTS_TRANSPORT_EMAIL = "smtp"
    settings.ALERTS_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "alerts@district.example.org"
    return smtp_server


@pytest.fixture(autouse=True)
def clean_registry():
    state = registry.snapshot()
    registry.clear()
    yield registry
    registry.restore(state)


@pytest.fixture
def sign(fake_twilio):
    """Sign a webhook form the way Twilio does, for a URL on the test server."""

    def _sign(path: str, form: dict) -> dict:
        url = f"http://testserver{path}"
        signature = RequestValidator(fake_twilio.auth_token).compute_signature(url, form)
        return {"HTTP_X_TWILIO_SIGNATURE": signature}

    return _sign


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run a block as if its transaction committed (the test's own transaction never does)."""

    def _commit(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return _commit
