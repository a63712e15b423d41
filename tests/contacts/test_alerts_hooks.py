"""contacts plugged into alerts' registry: bad numbers and STOP change the contact point, and a
permanent failure falls back to the same person's next channel."""

import pytest

from alerts import registry
from contacts.models import ContactPoint
from privacy.models import AuditEntry
from tests.factories import EmailFactory, PersonFactory, PhoneFactory

pytestmark = pytest.mark.django_db


def test_a_permanent_failure_marks_the_contact_point_invalid_with_the_reason():
    phone = PhoneFactory(value="+13125550160")
    registry.notify_contact_point(
        registry.ContactPointEvent(status="invalid", reason="21211", channel="sms", address=phone.value,
                                   contact_point_id=phone.pk, recipient_person_id=phone.person_id)
    )  # fmt: skip
    phone.refresh_from_db()
    assert (phone.status, phone.last_failure) == ("invalid", "21211")
    assert AuditEntry.objects.filter(
        action="contacts.contact_point.updated", actor_label="alerts"
    ).exists()


def test_stop_then_start_from_a_number_opts_it_out_and_back_in():
    phone = PhoneFactory(value="+13125550161")
    event = dict(reason="STOP", channel="sms", address="+13125550161")
    registry.notify_contact_point(registry.ContactPointEvent(status="opted_out", **event))
    phone.refresh_from_db()
    assert phone.status == ContactPoint.Status.OPTED_OUT
    registry.notify_contact_point(
        registry.ContactPointEvent(status="opted_in", **{**event, "reason": "START"})
    )
    phone.refresh_from_db()
    assert phone.status == ContactPoint.Status.UNVERIFIED


def test_next_channel_goes_sms_then_voice_then_email_and_skips_dead_points():
    person = PersonFactory(preferred_language="vi")
    mobile = PhoneFactory(person=person, value="+13125550162")
    dead = PhoneFactory(person=person, value="+13125550163", status="invalid")
    email = EmailFactory(person=person, value="ba@example.org")

    def request(failed_channel, point, tried=()):
        return registry.FallbackRequest(
            message_id=1, recipient_person_id=person.pk, failed_channel=failed_channel,
            failed_contact_point_id=point.pk, reason="x", tried=frozenset(tried),
        )  # fmt: skip

    after_sms = registry.resolve_next_channel(request("sms", mobile, [(mobile.pk, "sms")]))
    assert (after_sms.channel, after_sms.contact_point_id, after_sms.language) == (
        "voice",
        mobile.pk,
        "vi",
    )
    after_voice = registry.resolve_next_channel(
        request("voice", mobile, [(mobile.pk, "sms"), (mobile.pk, "voice")])
    )
    assert (after_voice.channel, after_voice.address) == ("email", "ba@example.org")
    assert dead.pk not in {after_sms.contact_point_id, after_voice.contact_point_id}
    last = registry.resolve_next_channel(
        request("email", email, [(mobile.pk, "sms"), (mobile.pk, "voice"), (email.pk, "email")])
    )
    assert last is None
