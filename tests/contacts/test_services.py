"""Contacts services: validation with field names, audit entries in the same transaction, and
the database constraints that back them. The adults here are linked to no student, so the
actor is the district data team (school staff may change only their students' adults)."""

import pytest
from django.db import IntegrityError, transaction

from contacts import services
from contacts.models import ContactPoint, StudentContact
from privacy.errors import DomainError
from privacy.models import AuditEntry
from tests.factories import PersonFactory, StudentContactFactory

pytestmark = pytest.mark.django_db


def test_phone_is_stored_as_e164_and_email_lower_case(data_team):
    person = PersonFactory()
    phone = services.contact_point_add(
        actor=data_team, person=person, kind="phone", value="312.555.0123"
    )
    email = services.contact_point_add(
        actor=data_team, person=person, kind="email", value=" Ana@Example.ORG "
    )
    assert (phone.value, phone.sms_capable) == ("+13125550123", True)
    assert (email.value, email.sms_capable) == ("ana@example.org", False)


@pytest.mark.parametrize(
    ("kind", "value", "code", "text"),
    [
        ("phone", "555-12", "invalid_phone", "'555-12' is not a valid US phone number"),
        ("phone", "", "required", "a phone number is required"),
        ("email", "ana@", "invalid_email", "'ana@' is not a valid email address"),
        ("fax", "1", "invalid_choice", "'fax' is not one of phone, email"),
    ],
)
def test_bad_contact_point_names_the_field_and_writes_nothing(data_team, kind, value, code, text):
    person = PersonFactory()
    with pytest.raises(DomainError) as err:
        services.contact_point_add(actor=data_team, person=person, kind=kind, value=value)
    assert err.value.code == code
    assert text in err.value.message
    assert not ContactPoint.objects.exists()
    assert not AuditEntry.objects.exists()


def test_duplicate_contact_point_is_refused(data_team):
    person = PersonFactory()
    services.contact_point_add(actor=data_team, person=person, kind="phone", value="3125550123")
    with pytest.raises(DomainError) as err:
        services.contact_point_add(
            actor=data_team, person=person, kind="phone", value="+1 312 555 0123"
        )
    assert err.value.code == "duplicate"


def test_changing_a_number_makes_it_unverified_again_and_is_audited(data_team):
    person = PersonFactory()
    point = services.contact_point_add(
        actor=data_team, person=person, kind="phone", value="3125550123"
    )
    # The verification flow (the adult entered the code), not staff, marks it verified.
    services.contact_point_update(
        actor=f"portal:person:{person.pk}", contact_point=point, status="verified"
    )
    point = services.contact_point_update(actor=data_team, contact_point=point, value="3125550124")
    assert (point.value, point.status, point.verified_at) == ("+13125550124", "unverified", None)
    entry = AuditEntry.objects.filter(action="contacts.contact_point.updated").first()
    assert entry.before["value"] == "+13125550123" and entry.after["value"] == "+13125550124"


def test_mark_invalid_records_the_reason(data_team):
    point = services.contact_point_add(
        actor=data_team, person=PersonFactory(), kind="phone", value="3125550123"
    )
    point = services.contact_point_mark_invalid(
        actor="system", contact_point=point, reason="carrier: not in service"
    )
    assert (point.status, point.last_failure) == ("invalid", "carrier: not in service")
    assert point.last_failure_at is not None


def test_empty_name_is_refused(data_team):
    with pytest.raises(DomainError) as err:
        services.person_create(actor=data_team, first_name=" ", last_name="Lopez")
    assert err.value.field == "first_name"


def test_update_refuses_a_forbidden_field(data_team):
    person = PersonFactory()
    with pytest.raises(DomainError) as err:
        services.person_update(actor=data_team, person=person, citizenship="x")
    assert err.value.code == "not_collected"


def test_reorder_sets_priorities_in_order_and_clears_the_rest(lincoln_staff, parent_of_three):
    ana = parent_of_three.children[0]
    aunt = StudentContactFactory(
        student=ana, relationship="aunt_uncle", legal_guardian=False
    ).person
    services.student_contacts_reorder(
        actor=lincoln_staff, student=ana, person_ids=[aunt.pk, parent_of_three.guardian.pk]
    )
    priorities = dict(
        StudentContact.objects.filter(student=ana).values_list("person_id", "emergency_priority")
    )
    assert priorities == {
        aunt.pk: 1,
        parent_of_three.guardian.pk: 2,
        parent_of_three.other_guardian.pk: None,
    }
    assert AuditEntry.objects.filter(action="contacts.student_contact.reordered").count() == 1


def test_reorder_refuses_a_stranger(lincoln_staff, parent_of_three):
    ana = parent_of_three.children[0]
    with pytest.raises(DomainError) as err:
        services.student_contacts_reorder(
            actor=lincoln_staff, student=ana, person_ids=[PersonFactory().pk]
        )
    assert err.value.code == "unknown_person"


def test_adding_the_same_adult_twice_is_refused(lincoln_staff, parent_of_three):
    ana = parent_of_three.children[0]
    with pytest.raises(DomainError) as err:
        services.student_contact_add(
            actor=lincoln_staff, student=ana, person=parent_of_three.guardian, relationship="mother"
        )
    assert err.value.code == "duplicate"


def test_confirm_marks_every_link_verified(parent_of_three):
    count = services.students_confirm(actor="portal:person:1", students=parent_of_three.children)
    assert count == 6
    assert not StudentContact.objects.filter(verified_at__isnull=True).exists()
    assert (
        AuditEntry.objects.filter(
            action="contacts.student.confirmed", actor_label="portal:person:1"
        ).count()
        == 3
    )


def test_database_refuses_two_contacts_with_one_priority(parent_of_three):
    ana = parent_of_three.children[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        StudentContactFactory(student=ana, emergency_priority=1)


def test_database_refuses_a_prohibited_emergency_contact(parent_of_three):
    link = parent_of_three.links[1]
    link.pickup_status = "prohibited"
    with pytest.raises(IntegrityError), transaction.atomic():
        link.save()


def test_database_refuses_a_phone_that_is_not_e164():
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactPoint.objects.create(person=PersonFactory(), kind="phone", value="3125550123")
