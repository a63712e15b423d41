"""The page behind a school event notice's check-in link: a guardian says which children they
come for and when, in their language; a bad, expired or ended link is a page of its own; the
token reaches no log, whatever the method."""

import time
from unittest import mock

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client

from reunify.models import EventCheckIn
from reunify.services import case_close
from reunify.services.events import CHECKIN_SALT, checkin_token, school_event_open
from tests.fakes.logs import written_logs

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(crisis_lead, high_school, event_family):
    return school_event_open(actor=crisis_lead, school=high_school, site="Riverside Stadium").case


@pytest.fixture
def link(event, event_family) -> str:
    return f"/reunify/checkin/{checkin_token(event, event_family['mother'].pk)}/"


def _client(language: str | None = None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _post(client, link, **data):
    page = client.get(link)
    token = page.cookies[settings.CSRF_COOKIE_NAME].value
    return client.post(link, {"csrfmiddlewaretoken": token, **data})


def test_the_page_opens_in_the_language_the_notice_was_sent_in(link):
    text = _client().get(link).content.decode()
    assert 'lang="vi"' in text
    assert "Minh Nguyen" in text and "Hoa Nguyen" in text and "Diego Ruiz" not in text
    assert "Riverside High School" in text


@pytest.mark.parametrize(("language", "words"), [("en", "I am coming"), ("es", "Voy en camino")])
def test_the_parent_chooses_the_language(link, language, words):
    text = _client(language).get(link).content.decode()
    assert f'lang="{language}"' in text and words in text


def test_arabic_is_right_to_left(link):
    assert 'dir="rtl"' in _client("ar").get(link).content.decode()


def test_the_parent_checks_in_for_one_child_and_the_desk_sees_it(link, event, event_family):
    client = _client("en")
    response = _post(client, link, students=[event_family["older"].pk], eta_minutes="20")
    assert response.status_code == 200
    assert 'id="checked-in"' in response.content.decode()
    checkin = EventCheckIn.objects.get(case=event)
    assert checkin.person == event_family["mother"] and checkin.eta_minutes == 20
    assert [cs.student for cs in checkin.students.all()] == [event_family["older"]]
    # A second check-in replaces the first.
    _post(
        client,
        link,
        students=[event_family["older"].pk, event_family["younger"].pk],
        eta_minutes="5",
    )
    assert EventCheckIn.objects.get(case=event).students.count() == 2


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"eta_minutes": "10"}, "Choose the children you come for."),
        ({"eta_minutes": "-1", "students": "self"}, "from 0 to 600"),
        ({"eta_minutes": "soon", "students": "self"}, "from 0 to 600"),
        ({"eta_minutes": "10", "students": "999999"}, "Choose the children you come for."),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(link, event_family, data, words):
    if data.get("students") == "self":
        data["students"] = str(event_family["older"].pk)
    response = _post(_client("en"), link, **data)
    assert response.status_code == 200
    assert words in response.content.decode()
    assert not EventCheckIn.objects.exists()


def test_a_bad_or_expired_link_or_an_ended_event_is_a_page_not_an_error(link, event, crisis_lead):
    bad = _client("es").get("/reunify/checkin/not-a-token/")
    assert bad.status_code == 200 and "no es válido" in bad.content.decode()
    fifteen_days_ago = time.time() - 15 * 86400
    with mock.patch("django.core.signing.time.time", return_value=fifteen_days_ago):
        old = signing.dumps({"c": event.pk, "p": 1}, salt=CHECKIN_SALT, compress=True)
    expired = _client("en").get(f"/reunify/checkin/{old}/")
    assert "This check-in link has expired." in expired.content.decode()
    case_close(actor=crisis_lead, case=event, note="The drill is over.")
    event.refresh_from_db()
    assert not event.is_open
    ended = _client("en").get(link)
    assert "This reunification has ended" in ended.content.decode()


def test_head_is_answered_like_get_and_other_methods_are_refused(link):
    client = Client()  # past the CSRF check, to the view's own method check
    assert client.head(link).status_code == 200
    assert client.put(link).status_code == 405
    assert client.delete(link).status_code == 405


def test_no_token_of_the_link_reaches_a_log(link):
    token = link.split("/")[3]
    client = _client("en")
    with written_logs() as logs:
        client.get(link)
        client.head(link)
        client.put(link)
        assert client.post(link, {"students": "1"}).status_code == 403  # no CSRF token
        client.get(link + "more/")  # 404
    written = logs()
    assert token not in written
    assert "Forbidden (CSRF" in written and "/reunify/checkin/[token]/" in written
