"""The main flows, run with every logger at DEBUG, leave no phone number, email address, code or
token in what the configured log handlers write."""

import json
import logging
import re
from functools import partial

import pytest
from django.test import Client
from django.urls import reverse
from twilio.request_validator import RequestValidator

from alerts.models import Message
from alerts.services import message_queue
from contacts.portal import services as portal
from tests.factories import PersonFactory, PhoneFactory, StudentContactFactory
from tests.fakes.logs import written_logs
from tests.fakes.smtp import FakeSMTP
from tests.fakes.twilio import FakeTwilio

pytestmark = pytest.mark.django_db

SIX_DIGITS = re.compile(r"\b(\d{6})\b")


@pytest.fixture(scope="module")
def twilio_server():
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def smtp_server():
    fake = FakeSMTP().start()
    yield fake
    fake.stop()


@pytest.fixture
def providers(twilio_server, smtp_server, settings):
    """SMS through the local Twilio fake and email through the local SMTP server."""
    twilio_server.reset()
    settings.TWILIO_ACCOUNT_SID = twilio_server.account_sid
    settings.TWILIO_AUTH_TOKEN = twilio_server.auth_token
    settings.TWILIO_API_BASE_URL = twilio_server.url
    settings.TWILIO_FROM_NUMBER = "+13125550100"
    settings.ALERTS_TRANSPORT_SMS = "twilio"
    settings.ALERTS_TRANSPORT_VOICE = "twilio"
    settings.ALERTS_TRANSPORT_EMAIL = "smtp"
    settings.ALERTS_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_server.host, smtp_server.port
    settings.EMAIL_USE_TLS = False
    return twilio_server


def code_in(address: str) -> str:
    body = Message.objects.filter(address=address).order_by("-id").first().body
    return SIX_DIGITS.search(body).group(1)


def signed_post(client, path: str, form: dict, token: str):
    signature = RequestValidator(token).compute_signature(f"http://testserver{path}", form)
    return client.post(path, form, HTTP_X_TWILIO_SIGNATURE=signature)


def test_the_main_flows_log_no_phone_email_code_or_token(
    parent_of_three, crisis_lead, providers, django_capture_on_commit_callbacks
):
    maria = parent_of_three.guardian
    secrets: list[str] = ["3125550101", "555-0101", "5550101", "maria.lopez", "@example.org"]
    committed = partial(django_capture_on_commit_callbacks, execute=True)
    with written_logs() as logs:
        # Sign-in by code, on the phone (SMS through the Twilio fake) and by email (SMTP). The
        # code is made and sent by a task queued when the request's transaction commits.
        browser = Client()
        with committed():
            browser.post(reverse("portal:sign_in"), {"identifier": "(312) 555-0101"})
        secrets.append(code_in("+13125550101"))
        assert browser.post(reverse("portal:code"), {"code": secrets[-1]}).status_code == 302
        by_email = Client()
        with committed():
            by_email.post(reverse("portal:sign_in"), {"identifier": "maria.lopez@example.org"})
        secrets.append(code_in("maria.lopez@example.org"))
        by_email.post(reverse("portal:code"), {"code": secrets[-1]})

        with committed():
            # The household page and a contact edit (a new phone number for the grandmother).
            assert browser.get(reverse("portal:household")).status_code == 200
            grandma = PersonFactory(first_name="Carmen", last_name="Ruiz")
            PhoneFactory(person=grandma, value="+13125550166")
            link = StudentContactFactory(
                student=parent_of_three.children[0],
                person=grandma,
                relationship="grandparent",
                legal_guardian=False,
                emergency_priority=3,
            )
            edit = {
                "first_name": "Carmen",
                "last_name": "Ruiz",
                "relationship": "grandparent",
                "phone": "312.555.0177",
                "emergency_priority": 3,
            }
            assert (
                browser.post(reverse("portal:contact_edit", args=[link.pk]), edit).status_code
                == 302
            )
            secrets += ["5550166", "5550177", "555.0177"]

            # Sign-in by link: opened, used, used again, and a path under it that matches nothing.
            token = portal.portal_link_issue(actor="campaign:1", person=maria)
            secrets.append(token)
            url = reverse("portal:link", args=[token])
            Client().get(url)
            Client().post(url)
            Client().post(url)
            assert Client().get(f"{url}more/").status_code == 404

            # The staff API: a new adult with a phone in Mexico and an email address.
            api = Client()
            api.force_login(crisis_lead)
            person = api.post(
                "/api/v1/people/",
                json.dumps({"first_name": "Tio", "last_name": "Ruiz"}),
                content_type="application/json",
            ).json()
            for kind, value in (("phone", "+52 55 1234 5678"), ("email", "tio.ruiz@example.org")):
                response = api.post(
                    "/api/v1/contact-points/",
                    json.dumps({"person": person["id"], "kind": kind, "value": value}),
                    content_type="application/json",
                )
                assert response.status_code == 201, response.content
            secrets += ["5512345678", "1234 5678", "tio.ruiz"]

            # A message delivered through the Twilio fake, then STOP and YES from the phone.
            message_queue(
                channel="sms",
                address="+13125550102",
                purpose="case.pickup_request",
                template_key="case.pickup_request",
                language="es",
                context={"students": "Ana", "school": "Lincoln"},
                idempotency_key="logs-clean",
                recipient_person_id=parent_of_three.other_guardian.pk,
                reply_flow="reunify.pickup",
            )
            secrets += ["3125550102", "5550102"]
            webhook = Client()
            for sid, body in (("SMlog1", "YES"), ("SMlog2", "STOP")):
                form = {
                    "MessageSid": sid,
                    "From": "+13125550102",
                    "To": "+13125550100",
                    "Body": body,
                }
                response = signed_post(
                    webhook, "/alerts/twilio/inbound", form, providers.auth_token
                )
                assert response.status_code == 200
            webhook.post("/alerts/twilio/inbound", {"From": "+13125550102", "Body": "YES"})
    written = logs()

    assert providers.created("message"), "nothing went through the Twilio fake"
    # The lines are there, and still say what happened.
    assert re.search(r"Task alerts\.message_deliver\[[0-9a-f-]{36}\] succeeded in \d", written)
    assert "Not Found: /portal/link/[token]/more/" in written
    assert "alerts inbound" in written
    assert "alerts webhook rejected: missing signature" in written
    for secret in secrets:
        assert secret not in written, secret


def test_a_body_over_the_limit_is_a_400_and_a_warning_without_the_body(crisis_lead, settings):
    api = Client()
    api.force_login(crisis_lead)
    body = json.dumps({"first_name": "A" * (3 * 1024 * 1024), "last_name": "+13125550188"})
    with written_logs() as logs:
        response = api.post("/api/v1/people/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "larger than" in response.json()["message"]
    written = logs()
    assert "WARNING django.security.RequestDataTooBig" in written
    assert "POST /api/v1/people/" in written
    assert "ERROR" not in written and "Traceback" not in written
    assert "AAAAAAAA" not in written and "5550188" not in written
    assert len(written) < 1000


@pytest.mark.parametrize("path", ["/portal/sign-in/", "/staff/crisis/cases/open/preview/"])
def test_a_form_over_the_limit_on_a_page_is_a_400_and_a_warning_without_the_body(crisis_lead, path):
    browser = Client()
    browser.force_login(crisis_lead)
    with written_logs() as logs:
        response = browser.post(path, {"identifier": "A" * (3 * 1024 * 1024) + "+13125550188"})
    assert response.status_code == 400
    written = logs()
    assert "WARNING django.security.RequestDataTooBig" in written
    assert f"POST {path}" in written
    assert "ERROR" not in written and "Traceback" not in written
    assert "AAAAAAAA" not in written and "5550188" not in written


def test_the_configured_handlers_redact_django_request_and_security_records():
    token = "Zm9vYmFyYmF6cXV4MTIzNDU2"
    with written_logs() as logs:
        logging.getLogger("django.request").warning("Not Found: %s", f"/portal/link/{token}/")
        logging.getLogger("django.security.DisallowedHost").error(
            "Invalid HTTP_HOST header: %s", "maria.lopez@example.org"
        )
        logging.getLogger("django.server").info('"GET /portal/link/%s/ HTTP/1.1" 200 12', token)
    written = logs()
    assert token not in written and "maria.lopez" not in written
    assert written.count("/portal/link/[token]/") == 2
