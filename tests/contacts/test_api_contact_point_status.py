"""Staff set a contact point's status to unverified, invalid or opted out, never to verified:
only the verification flow (a code the adult received, a YES reply) proves a number works. An
opt-out is the adult's to lift (START, or the portal), not staff's."""

import pytest

from contacts import services
from contacts.models import ContactPoint
from privacy.errors import DomainError
from privacy.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(parent_of_three):
    return parent_of_three.guardian.contact_points.get(kind="phone")


def patch(api, point, status):
    return api.patch(f"/api/v1/contact-points/{point.pk}/", {"status": status}, format="json")


def test_staff_cannot_mark_a_contact_point_verified(api_as, lincoln_staff, phone):
    response = patch(api_as(lincoln_staff), phone, "verified")
    assert response.status_code == 400
    body = response.json()
    assert body["message"].startswith("status:")
    assert "status" in body["extra"]["fields"]
    phone.refresh_from_db()
    assert (phone.status, phone.verified_at) == ("unverified", None)
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("status", ["invalid", "opted_out", "unverified"])
def test_staff_may_set_the_other_statuses(api_as, lincoln_staff, phone, status):
    phone.status = "verified" if status == "unverified" else "unverified"
    phone.save()
    response = patch(api_as(lincoln_staff), phone, status)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == status


def test_staff_cannot_lift_an_opt_out(api_as, lincoln_staff, phone):
    phone.status = ContactPoint.Status.OPTED_OUT
    phone.save()
    for status in ("unverified", "invalid"):
        response = patch(api_as(lincoln_staff), phone, status)
        assert response.status_code == 400
        assert response.json()["code"] == "status_not_settable"
        assert "only they can opt in again" in response.json()["message"]
    phone.refresh_from_db()
    assert phone.status == "opted_out"


def test_the_service_refuses_verified_from_any_staff_caller(lincoln_staff, phone):
    """Pages and tasks that act for a staff user reach the same rule."""
    with pytest.raises(DomainError) as error:
        services.contact_point_update(actor=lincoln_staff, contact_point=phone, status="verified")
    assert (error.value.code, error.value.field) == ("status_not_settable", "status")


def test_the_verification_flow_still_marks_verified(phone, parent_of_three):
    point = services.contact_point_update(
        actor=f"portal:person:{parent_of_three.guardian.pk}", contact_point=phone, status="verified"
    )
    assert point.status == "verified" and point.verified_at is not None
