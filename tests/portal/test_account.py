"""A guardian's own phones and emails, preferences and family preparedness plan."""

import datetime

from django.core import checks
from django.urls import reverse
from django.utils import timezone

from alerts.models import Message
from contacts.models import ContactPoint, StudentContact
from contacts.portal import services
from contacts.portal.models import MessagePreference, PreparednessPlan

from .conftest import code_from_outbox

ME = reverse("portal:me")


def test_a_new_phone_is_verified_only_after_its_code_is_entered(maria_client, parent_of_three):
    response = maria_client.post(ME, {"value": "(312) 555-0188", "label": "work"})
    point = ContactPoint.objects.get(value="+13125550188")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:verify", args=[point.pk])
    assert point.status == "unverified" and point.person == parent_of_three.guardian
    message = Message.objects.get(address="+13125550188")
    assert message.template_key == "portal.verify_contact"
    verify = reverse("portal:verify", args=[point.pk])
    wrong = maria_client.post(verify, {"code": "12"})
    assert wrong.status_code == 400
    point.refresh_from_db()
    assert point.status == "unverified"
    assert maria_client.post(verify, {"code": code_from_outbox("+13125550188")}).status_code == 302
    point.refresh_from_db()
    assert point.status == "verified" and point.verified_at is not None


def test_a_duplicate_own_email_is_reported(maria_client):
    response = maria_client.post(ME, {"value": "MARIA.LOPEZ@example.org", "label": "other"})
    assert response.status_code == 409
    assert 'id="id_value_error"' in response.content.decode()


def test_an_invalid_own_email_is_reported(maria_client):
    response = maria_client.post(ME, {"value": "maria@", "label": "other"})
    assert response.status_code == 400
    assert "not a valid email address" in response.content.decode()


def test_the_last_contact_point_cannot_be_removed(maria_client, parent_of_three):
    points = list(parent_of_three.guardian.contact_points.all())
    maria_client.post(reverse("portal:me_remove", args=[points[0].pk]))
    response = maria_client.post(reverse("portal:me_remove", args=[points[1].pk]), follow=True)
    assert "Keep at least one" in response.content.decode()
    assert parent_of_three.guardian.contact_points.count() == 1


def test_someone_elses_contact_point_is_a_404(maria_client, parent_of_three):
    jose_phone = parent_of_three.other_guardian.contact_points.get()
    assert maria_client.get(reverse("portal:verify", args=[jose_phone.pk])).status_code == 404
    assert maria_client.post(reverse("portal:me_remove", args=[jose_phone.pk])).status_code == 404


def test_preferences_set_language_and_channels(maria_client, parent_of_three):
    url = reverse("portal:preferences")
    response = maria_client.post(url, {"preferred_language": "vi", "email": "on"})
    assert response.status_code == 302
    maria = parent_of_three.guardian
    maria.refresh_from_db()
    assert maria.preferred_language == "vi"
    assert MessagePreference.objects.get(person=maria).channels() == ["email"]
    assert response.cookies["django_language"].value == "vi"


def test_preferences_need_one_channel(maria_client):
    response = maria_client.post(reverse("portal:preferences"), {"preferred_language": "en"})
    assert response.status_code == 400
    assert "at least one way" in response.content.decode()


def test_pickup_notice_follows_the_other_guardians_channel_choice(parent_of_three):
    jose = parent_of_three.other_guardian
    ContactPoint.objects.create(person=jose, kind="email", value="jose@example.org")
    MessagePreference.objects.create(person=jose, sms=False, email=True)
    services.portal_contact_add(
        guardian=parent_of_three.guardian,
        students=parent_of_three.children[:1],
        first_name="Rosa",
        last_name="Diaz",
        relationship="grandparent",
        phone="312-555-0144",
        pickup=True,
    )
    assert Message.objects.get(template_key="portal.pickup_pending").channel == "email"


def test_plan_names_a_standby_caregiver_who_starts_pending(maria_client, parent_of_three):
    response = maria_client.post(
        reverse("portal:plan"),
        {
            "first_name": "Elena",
            "last_name": "Vega",
            "relationship": "caregiver",
            "phone": "+52 55 1234 5678",
            "affidavit_on_file": "on",
            "affidavit_signed_on": "2025-01-15",
        },
    )
    assert response.status_code == 302
    plan = PreparednessPlan.objects.get(guardian=parent_of_three.guardian)
    assert plan.standby_caregiver.display_name == "Elena Vega"
    assert plan.standby_caregiver.contact_points.get().value == "+525512345678"
    links = StudentContact.objects.filter(person=plan.standby_caregiver)
    assert links.count() == 3 and {lnk.pickup_status for lnk in links} == {"pending_review"}


def test_affidavit_is_flagged_when_older_than_the_setting(maria_client, parent_of_three, settings):
    signed = timezone.localdate() - datetime.timedelta(days=400)
    services.plan_update(
        guardian=parent_of_three.guardian, affidavit_on_file=True, affidavit_signed_on=signed
    )
    page = maria_client.get(reverse("portal:plan")).content.decode()
    assert "more than 365 days ago" in page
    settings.PORTAL_AFFIDAVIT_MAX_AGE_DAYS = 500
    assert "days ago" not in maria_client.get(reverse("portal:plan")).content.decode()


def test_affidavit_needs_its_signing_date(maria_client):
    response = maria_client.post(reverse("portal:plan"), {"affidavit_on_file": "on"})
    assert response.status_code == 400
    assert 'id="id_affidavit_signed_on_error"' in response.content.decode()


def test_portal_models_hold_no_forbidden_information():
    from django.apps import apps

    errors = checks.run_checks(app_configs=[apps.get_app_config("portal")])
    assert [e for e in errors if e.id == "privacy.E001"] == []
