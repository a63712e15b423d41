"""The record of disclosures other apps write through `disclosure_record`."""

import pytest

from privacy.errors import DomainError
from privacy.models import AuditEntry, Disclosure
from privacy.services import disclosure_record

pytestmark = pytest.mark.django_db


def test_a_release_to_a_listed_contact_is_recorded_once_per_cause(crisis_lead):
    call = dict(
        actor=crisis_lead,
        student_ids=[7, 8],
        party="Carmen Ruiz (grandparent)",
        what="Release of the student into their care",
        basis="listed_contact",
        source_type="reunify.release",
        source_id=41,
    )
    first = disclosure_record(**call)
    again = disclosure_record(**call)
    assert [d.pk for d in first] == [d.pk for d in again]
    assert Disclosure.objects.count() == 2
    assert AuditEntry.objects.filter(action="privacy.disclosure.recorded").count() == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"party": " "}, "party"),
        ({"what": ""}, "what"),
        ({"basis": "because"}, "basis"),
        ({"basis": "health_safety_emergency"}, "basis_detail"),
        ({"student_ids": []}, "student_ids"),
    ],
)
def test_a_disclosure_missing_what_ferpa_asks_for_is_refused(changes, field):
    call = dict(
        actor="system",
        student_ids=[7],
        party="Dr. Patel, County Hospital",
        what="Allergies",
        basis="parental_consent",
    )
    with pytest.raises(DomainError) as refused:
        disclosure_record(**(call | changes))
    assert refused.value.field == field
    assert not Disclosure.objects.exists()


def test_an_emergency_disclosure_keeps_the_articulable_threat():
    [record] = disclosure_record(
        actor="system",
        student_ids=[7],
        party="Paramedics, Engine 12",
        what="Name, allergies and guardian phone",
        basis="health_safety_emergency",
        basis_detail="The student collapsed in class; anaphylaxis suspected.",
    )
    assert record.basis_detail.startswith("The student collapsed")
