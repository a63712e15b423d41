"""Email through Django's SMTP backend to a local aiosmtpd server."""

import pytest

from alerts.models import ErrorCode, Message
from alerts.transports import email_message_id

from .helpers import EMAIL, queue_sms

pytestmark = pytest.mark.django_db


def queue_email(commit, key="e1", **extra):
    return commit(queue_sms, key, channel="email", address=EMAIL, language="vi", **extra)


def test_email_is_sent_in_the_recipients_language_with_a_stable_message_id(fake_smtp, commit):
    message = queue_email(commit)
    message.refresh_from_db()
    [mail] = fake_smtp.inbox
    assert message.status == Message.Status.SENT
    assert mail.rcpt_tos == [EMAIL]
    assert mail.message["Subject"] == "Mã đăng nhập của bạn"
    assert mail.message["Message-ID"] == email_message_id(message)
    assert "mã của bạn là 482913" in mail.message.get_content()


def test_permanent_bounce_fails_and_marks_the_address(fake_smtp, commit, clean_registry):
    seen = []
    clean_registry.register_contact_point_listener(seen.append)
    fake_smtp.refuse[EMAIL] = "550 5.1.1 No such user"
    message = queue_email(commit)
    message.refresh_from_db()
    assert (message.status, message.error_code) == (Message.Status.FAILED, ErrorCode.BOUNCED)
    assert seen[0].status == "invalid" and seen[0].channel == "email"


def test_temporary_refusal_is_retried(fake_smtp, commit):
    fake_smtp.refuse[EMAIL] = "451 4.3.0 Try again later"
    message = queue_email(commit)
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert fake_smtp.inbox == []


def test_smtp_server_down_is_retried(fake_smtp, commit, settings):
    settings.EMAIL_PORT = 1  # nothing listens there
    message = queue_email(commit)
    message.refresh_from_db()
    assert (message.status, message.error_code) == (Message.Status.QUEUED, ErrorCode.NETWORK)
