"""Shared fixtures and the named personas of the test suite."""

import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.signals import request_finished, request_started
from rest_framework.test import APIClient

from contacts.models import Student, StudentContact
from privacy.roles import Role
from tests.factories import (
    EmailFactory,
    PersonFactory,
    PhoneFactory,
    SchoolFactory,
    StudentContactFactory,
    StudentFactory,
    UserFactory,
)

# Browser tests (tests/browser and the apps' own) share one Chromium, Debian's, driven by
# Playwright's sync API; a second sync Playwright in the same process would fail, since the
# first runs its event loop in this thread. The ORM calls the tests make between browser steps
# are still synchronous and safe.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


class _RequestsInFlight:
    """Counts the requests the live server's threads are answering (Django's request signals)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0

    def started(self, **kwargs):
        with self.lock:
            self.count += 1

    def finished(self, **kwargs):
        with self.lock:
            self.count -= 1

    def wait_idle(self, *, quiet: float = 0.2, timeout: float = 10.0) -> None:
        """Until no request has been in flight for `quiet` seconds (or `timeout` passed)."""
        deadline = time.monotonic() + timeout
        idle_since = None
        while time.monotonic() < deadline:
            if self.count:
                idle_since = None
            elif idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since >= quiet:
                return
            time.sleep(0.02)


@pytest.fixture(autouse=True)
def _live_server_idle_before_flush(request):
    """The live server answers on threads of its own, so a request a page sent just before the
    test closed it (an htmx poll writing its access-log row) can still be running when the test's
    tables are truncated, and the two deadlock. Set up after the test database (as pytest-django's
    own live-server helper is), so it is torn down first: it waits for those requests to end."""
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    in_flight = _RequestsInFlight()
    request_started.connect(in_flight.started, weak=False)
    request_finished.connect(in_flight.finished, weak=False)
    try:
        yield
        in_flight.wait_idle()
    finally:
        request_started.disconnect(in_flight.started)
        request_finished.disconnect(in_flight.finished)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def pytest_configure(config):
    # CI sets this for its second run: a missing service there is a failure, never a skip.
    if os.environ.get("REUNIFY_REQUIRE_SERVICES"):
        missing = []
        if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
            missing.append("DATABASE_URL=postgres://...")
        if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis"):
            missing.append("CELERY_BROKER_URL=redis://...")
        if not shutil.which("chromium") and not os.path.exists("/usr/bin/chromium"):
            missing.append("/usr/bin/chromium")
        if missing:
            raise pytest.UsageError(f"REUNIFY_REQUIRE_SERVICES is set but missing: {missing}")


@pytest.fixture(autouse=True)
def _empty_caches():
    """Each test starts with empty caches (the portal's page cache lives in process memory)."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()


@pytest.fixture(autouse=True)
def _eager_celery_unless_integration(request):
    """Unit tests run tasks in process, as the embedded default does, even when the run points
    at a real broker; integration tests use the real broker and a real worker."""
    from config.celery import app

    if request.node.get_closest_marker("integration"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Staff are made with a password and sign in; Django's cheapest hasher keeps that from
    dominating the suite (Django's own advice for tests). The product keeps Django's default."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _explicit_test_transports(settings):
    """Messages go to the console transport in every test, embedded or on PostgreSQL (where the
    default would be Twilio and SMTP); tests of delivery point a channel at the local fakes
    (tests/alerts/conftest.py: fake_twilio, fake_smtp), which override this."""
    settings.ALERTS_TRANSPORT_SMS = "console"
    settings.ALERTS_TRANSPORT_VOICE = "console"
    settings.ALERTS_TRANSPORT_EMAIL = "console"


@pytest.fixture
def lincoln(db):
    return SchoolFactory(code="LIN", name="Lincoln Elementary")


@pytest.fixture
def washington(db):
    return SchoolFactory(code="WAS", name="Washington Middle School")


@dataclass
class Family:
    guardian: object
    other_guardian: object
    children: list[Student]
    links: list[StudentContact]


@pytest.fixture
def parent_of_three(lincoln, washington):
    """Maria Lopez, who prefers Spanish, with three children: two at Lincoln, one at Washington.
    Her partner Jose is the second guardian."""
    maria = PersonFactory(first_name="Maria", last_name="Lopez", preferred_language="es")
    PhoneFactory(person=maria, value="+13125550101")
    EmailFactory(person=maria, value="maria.lopez@example.org")
    jose = PersonFactory(first_name="Jose", last_name="Lopez", preferred_language="es")
    PhoneFactory(person=jose, value="+13125550102")
    children = [
        StudentFactory(first_name="Ana", last_name="Lopez", school=lincoln, grade="02"),
        StudentFactory(first_name="Luis", last_name="Lopez", school=lincoln, grade="04"),
        StudentFactory(first_name="Sofia", last_name="Lopez", school=washington, grade="07"),
    ]
    links = []
    for child in children:
        links.append(StudentContactFactory(student=child, person=maria, emergency_priority=1))
        links.append(
            StudentContactFactory(
                student=child, person=jose, relationship="father", emergency_priority=2
            )
        )
    return Family(guardian=maria, other_guardian=jose, children=children, links=links)


@pytest.fixture
def lincoln_staff(lincoln):
    return UserFactory(username="lincoln.office", roles=[Role.SCHOOL_STAFF], schools=[lincoln])


@pytest.fixture
def washington_staff(washington):
    """A staff member of another school than Lincoln."""
    return UserFactory(
        username="washington.office", roles=[Role.SCHOOL_STAFF], schools=[washington]
    )


@pytest.fixture
def crisis_lead(db):
    return UserFactory(username="crisis.lead", roles=[Role.CRISIS_LEAD])


@pytest.fixture
def data_team(db):
    return UserFactory(username="data.team", roles=[Role.DATA_TEAM])


@pytest.fixture
def counselor_at_lincoln(lincoln):
    return UserFactory(username="counselor.lincoln", roles=[Role.COUNSELOR], schools=[lincoln])


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def api_as(api):
    def _as(user):
        api.force_authenticate(user)
        return api

    return _as
