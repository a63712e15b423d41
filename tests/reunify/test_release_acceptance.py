"""The release issue's acceptance scenario: an aunt with a consular ID takes three siblings; a
prohibited uncle is refused and the lead alerted; an unlisted neighbour is authorized by the
detained mother's code; an 11th grader leaves alone with approval and a 9th grader cannot."""

import re

import pytest

from alerts.models import Message
from privacy.errors import Conflict
from reunify.models import Release, TimelineEntry
from reunify.services.events import school_event_open
from reunify.services.release import release_code_request
from tests.factories import (
    PersonFactory,
    PhoneFactory,
    SchoolFactory,
    StudentContactFactory,
    StudentFactory,
)

from .release_helpers import open_lopez_case, release

pytestmark = pytest.mark.django_db


def test_acceptance_scenario(
    crisis_lead, lincoln_staff, washington_staff, lopez_family, counselors, settings
):
    crisis_lead.email = "lead@district.example.org"
    crisis_lead.save()
    case = open_lopez_case(crisis_lead, lopez_family)
    ana, luis, sofia = lopez_family.children

    # The prohibited uncle comes first: refused, recorded, the lead alerted at once.
    with pytest.raises(Conflict) as refused:
        release(lincoln_staff, case, ana, person=lopez_family.uncle)
    assert refused.value.code == "release_prohibited"
    alert = Message.objects.get(template_key="reunify.prohibited_attempt")
    assert alert.lane == "emergency" and alert.address == "lead@district.example.org"
    assert TimelineEntry.objects.filter(case=case, action="release.prohibited_attempt").exists()

    # The aunt shows a consular ID: a government photo ID like any other. Nothing about the
    # document is recorded.
    for staff, child in ((lincoln_staff, ana), (lincoln_staff, luis), (washington_staff, sofia)):
        rel = release(staff, case, child, person=lopez_family.aunt, identity="photo_id").release
        assert rel.identity == "photo_id"
    assert Release.objects.filter(case=case, person=lopez_family.aunt).count() == 3
    assert not Release.objects.exclude(person=lopez_family.aunt).exists()
    fields = {f.name for f in Release._meta.get_fields()}
    assert not fields & {"document_type", "document_number", "issuing_country", "consular"}
    case.refresh_from_db()
    assert case.status == "closed"


def test_acceptance_unlisted_neighbour_by_the_detained_mothers_code(
    crisis_lead, lincoln_staff, lopez_family, counselors
):
    case = open_lopez_case(crisis_lead, lopez_family)
    ana = lopez_family.children[0]
    row = release_code_request(
        actor=lincoln_staff,
        case=case,
        student=ana,
        guardian=lopez_family.mother,
        adult_name="Nadia Vecina",
    )
    sms = Message.objects.get(pk=row.message_id)
    assert sms.address == "+13125550101" and "Nadia Vecina" in sms.body
    code = re.search(r"(\d{6})", sms.body).group(1)
    rel = release(lincoln_staff, case, ana, adult_name="Nadia Vecina", guardian_code=code).release
    assert (
        rel.authorization == "guardian_code" and rel.guardian_code.guardian == lopez_family.mother
    )


def test_acceptance_older_student_leaves_alone_and_a_9th_grader_cannot(crisis_lead, settings):
    settings.REUNIFY_SELF_RELEASE_GRADE = 11
    school = SchoolFactory(code="RHS", name="Riverside High School")
    mother = PersonFactory()
    PhoneFactory(person=mother)
    eleventh = StudentFactory(school=school, grade="11")
    ninth = StudentFactory(school=school, grade="9")
    for child in (eleventh, ninth):
        StudentContactFactory(student=child, person=mother)
    case = school_event_open(actor=crisis_lead, school=school).case
    common = {"self_release": True, "identity": "", "signature_initials": "AB"}
    rel = release(crisis_lead, case, eleventh, approval_note="Official: the AP.", **common).release
    assert rel.authorization == "self_release"
    with pytest.raises(Conflict) as younger:
        release(crisis_lead, case, ninth, approval_note="Official: the AP.", **common)
    assert younger.value.code == "release_not_authorized"
