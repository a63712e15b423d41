"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

They skip cleanly on a machine without /usr/bin/chromium (`apt-get install -y chromium`)."""

from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import CHROMIUM
from tests.factories import (
    EmailFactory,
    PersonFactory,
    PhoneFactory,
    SchoolFactory,
    StudentContactFactory,
    StudentFactory,
)

SCREENSHOTS = Path(settings.BASE_DIR) / "test-output" / "screenshots"


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason="needs Debian's Chromium at /usr/bin/chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def phone(chromium):
    """A page the size of a small phone screen (320 px wide)."""
    context = chromium.new_context(viewport={"width": 320, "height": 640}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def shoot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _shoot(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        # Works at 320 px: nothing wider than the screen, so no sideways scrolling.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{name} is {width}px wide at a 320px viewport"
        return path

    return _shoot


@pytest.fixture
def family(transactional_db):
    """Maria Lopez (English) and Jose Lopez (Spanish), guardians of Ana (Lincoln Elementary) and
    Sofia (Washington Middle School); both are every child's emergency contacts, Maria first."""
    lincoln = SchoolFactory(code="LIN", name="Lincoln Elementary")
    washington = SchoolFactory(code="WAS", name="Washington Middle School")
    maria = PersonFactory(first_name="Maria", last_name="Lopez", preferred_language="en")
    PhoneFactory(person=maria, value="+13125550101")
    EmailFactory(person=maria, value="maria.lopez@example.org")
    jose = PersonFactory(first_name="Jose", last_name="Lopez", preferred_language="es")
    PhoneFactory(person=jose, value="+13125550102")
    children = [
        StudentFactory(first_name="Ana", last_name="Lopez", school=lincoln, grade="02"),
        StudentFactory(first_name="Sofia", last_name="Lopez", school=washington, grade="07"),
    ]
    for child in children:
        StudentContactFactory(student=child, person=maria, emergency_priority=1)
        StudentContactFactory(
            student=child, person=jose, relationship="father", emergency_priority=2
        )
    return {"maria": maria, "jose": jose, "children": children, "lincoln": lincoln}
