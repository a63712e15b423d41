"""In Chromium: the data team launches a campaign and watches the progress bar reach 100%; a
guardian opens the campaign link on a 360 px screen and confirms."""

import threading

import pytest
from django.db import connections

from alerts.models import Message
from contacts.campaigns import services
from contacts.campaigns.models import Campaign, Recipient
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium"),
]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def in_browser():
    """Run `steps(page)` in Chromium at a given width, in a thread of its own: the Playwright of
    tests/browser may already run its event loop in this thread (one sync Playwright per
    thread), and ORM calls from that thread use their own connection (the data is committed)."""

    def run(steps, width: int, height: int = 740) -> None:
        from playwright.sync_api import sync_playwright

        failures: list[BaseException] = []

        def body() -> None:
            try:
                with sync_playwright() as p:
                    browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                    context = browser.new_context(viewport={"width": width, "height": height})
                    page = context.new_page()
                    page.set_default_timeout(15_000)
                    try:
                        steps(page)
                    finally:
                        browser.close()
            except BaseException as exc:  # re-raised in the test's thread below
                failures.append(exc)
            finally:
                connections.close_all()

        thread = threading.Thread(target=body)
        thread.start()
        thread.join(timeout=180)
        if failures:
            raise failures[0]
        assert not thread.is_alive(), "the browser steps did not finish"

    return run


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_data_team_launches_and_watches_the_progress_bar_reach_100(
    in_browser, live_server, data_team, district, make_campaign, settings
):
    settings.CAMPAIGNS_CHUNK = 3
    data_team.set_password(PASSWORD)
    data_team.save()
    district(10)
    campaign = make_campaign(name="Browser campaign")

    def steps(page):
        page.goto(f"{live_server.url}/staff/campaigns/")
        page.fill("#id_username", "data.team")
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url("**/staff/campaigns/")
        page.click("text=Browser campaign")
        assert page.locator("#preview tfoot").inner_text().split()[1] == "10"
        page.click("#launch")
        page.wait_for_function(
            "document.querySelector('#fanout') && document.querySelector('#fanout').value === 100"
        )
        assert page.locator("#fanout-percent").inner_text() == "100%"
        assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.RUNNING
        # The htmx poll replaces the section with fresh counts.
        services.campaign_progress_refresh(campaign_id=campaign.pk)
        page.wait_for_function(
            "document.querySelector('#progress-table tfoot td') &&"
            " document.querySelector('#progress-table tfoot td').innerText === '10'"
        )
        no_sideways_scroll(page, 768)

    in_browser(steps, 768)


def test_a_guardian_opens_the_link_on_a_small_phone_and_confirms(
    in_browser, live_server, make_campaign, launch, lincoln, settings
):
    from tests.factories import PersonFactory, PhoneFactory, StudentContactFactory, StudentFactory

    settings.CAMPAIGNS_LINK_BASE_URL = live_server.url
    maria = PersonFactory(first_name="Maria", last_name="Lopez")
    PhoneFactory(person=maria, value="+13125550101")
    StudentContactFactory(student=StudentFactory(first_name="Ana", school=lincoln), person=maria)
    campaign = launch(make_campaign())
    body = Message.objects.get(cause_id=campaign.pk).body
    url = next(word for word in body.split() if word.startswith(live_server.url))

    def steps(page):
        page.goto(url)
        page.click("main button[type=submit]")  # "Continue": a GET never spends the link
        page.wait_for_url("**/portal/household/")
        no_sideways_scroll(page, 360)
        page.click("#confirm-all")
        page.wait_for_url("**/portal/household/")

    in_browser(steps, 360)
    services.portal_answers_collect(campaign_id=campaign.pk)
    assert Recipient.objects.get(person=maria).response == Recipient.Response.CONFIRMED
