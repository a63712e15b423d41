"""The household page's cache: keyed by what the page shows, so never stale and never shared."""

import re

from django.test import Client
from django.urls import reverse

from contacts.models import Person, Student, StudentContact
from tests.portal.conftest import sign_in_client

HOUSEHOLD = reverse("portal:household")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _page(client) -> str:
    response = client.get(HOUSEHOLD)
    assert response.status_code == 200
    return response.content.decode()


def test_a_repeated_visit_is_served_without_rendering_the_template_again(maria_client):
    first = maria_client.get(HOUSEHOLD)
    again = maria_client.get(HOUSEHOLD)
    assert "portal/household.html" in [t.name for t in first.templates]
    assert again.templates == []
    assert TOKEN.sub("", again.content.decode()) == TOKEN.sub("", first.content.decode())


def test_changes_written_behind_the_services_back_show_at_once(maria_client, parent_of_three):
    # Importers write with bulk statements that send no signals; the page must still be fresh.
    assert "Jose Lopez" in _page(maria_client)
    Person.objects.filter(pk=parent_of_three.other_guardian.pk).update(first_name="Joseph")
    page = _page(maria_client)
    assert "Joseph Lopez" in page and "Jose Lopez" not in page

    sofia = parent_of_three.children[2]
    Student.objects.filter(pk=sofia.pk).update(active=False)
    assert f'id="student-{sofia.pk}"' not in _page(maria_client)

    ana = parent_of_three.children[0]
    StudentContact.objects.filter(student=ana, person=parent_of_three.other_guardian).update(
        pickup_status=StudentContact.Pickup.PROHIBITED, emergency_priority=None
    )
    section = _page(maria_client).split(f'id="student-{ana.pk}"')[1].split("</section>")[0]
    assert "Joseph Lopez" not in section


def test_two_guardians_of_the_same_children_each_get_their_own_page(maria_client, parent_of_three):
    jose_client = sign_in_client(Client(), parent_of_three.other_guardian)
    maria_page, jose_page = _page(maria_client), _page(jose_client)
    you = re.compile(r"<strong>([^<]+)</strong>[^<]*\(you\)")
    assert set(you.findall(maria_page)) == {"Maria Lopez"}
    assert set(you.findall(jose_page)) == {"Jose Lopez"}


def test_every_response_carries_the_browsers_own_working_csrf_token(parent_of_three):
    browser = sign_in_client(Client(enforce_csrf_checks=True), parent_of_three.guardian)
    _page(browser)  # cached now; the next page comes from the cache
    page = _page(browser)
    tokens = set(TOKEN.findall(page))
    assert len(tokens) == 1
    response = browser.post(reverse("portal:confirm"), {"csrfmiddlewaretoken": tokens.pop()})
    assert response.status_code == 302


def test_a_one_time_message_is_shown_once_and_never_cached(maria_client):
    _page(maria_client)
    shown = maria_client.post(reverse("portal:confirm"), follow=True).content.decode()
    assert "Thank you" in shown
    assert "Thank you" not in _page(maria_client)
