"""Releasing a student: who may take them, the identity check, the student's answer, the
signature, idempotency, the chain of custody and what is told to whom."""

import datetime

import pytest
from django.utils import timezone

from alerts.models import Message
from contacts.models import StudentContact
from contacts.portal.models import PreparednessPlan
from privacy.errors import Conflict, DomainError
from privacy.minimisation import is_forbidden_name
from privacy.models import AuditEntry, Disclosure, DisclosureBasis
from reunify.models import (
    CaseStudent,
    Release,
    ReleaseApproval,
    ReleaseCorrection,
    Task,
    TimelineEntry,
)
from reunify.services.release import (
    release_approve,
    release_as_corrected,
    release_correct,
)
from tests.factories import PersonFactory, StudentContactFactory, UserFactory

from .release_helpers import open_lopez_case, png_data_url, release

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(crisis_lead, lopez_family, counselors):
    crisis_lead.email = "lead@district.example.org"
    crisis_lead.save()
    for profile in counselors.values():
        profile.user.email = f"{profile.user.username}@district.example.org"
        profile.user.save()
    return open_lopez_case(crisis_lead, lopez_family)


@pytest.fixture
def ana(lopez_family):
    return lopez_family.children[0]


def test_allowed_aunt_with_photo_id_takes_the_student(case, lincoln_staff, lopez_family, ana):
    result = release(lincoln_staff, case, ana, person=lopez_family.aunt)

    assert result.created
    rel = result.release
    assert rel.person == lopez_family.aunt and rel.authorization == "allowed"
    assert rel.identity == "photo_id" and rel.student_comfortable
    assert rel.handed_over_by == lincoln_staff and rel.checked_in_by == lincoln_staff
    cs = CaseStudent.objects.get(case=case, student=ana)
    assert cs.status == CaseStudent.Status.RELEASED and cs.settled_at is not None
    assert Task.objects.get(case_student=cs, kind=Task.Kind.RELEASE).status == Task.Status.DONE
    assert not cs.tasks.filter(kind=Task.Kind.CHECK_IN, status__in=Task.ACTIVE).exists()
    entry = TimelineEntry.objects.get(case=case, action="release.recorded")
    assert "Rosa Diaz" in entry.text and "photo id checked" in entry.text
    assert "handed over by lincoln.office" in entry.text
    audit = AuditEntry.objects.get(action="reunify.release.recorded")
    assert audit.after["handed_over_by"] == lincoln_staff.pk
    assert audit.after["identity"] == "photo_id"


def test_other_guardians_and_the_counselor_are_told_never_a_prohibited_adult(
    case, lincoln_staff, lopez_family, ana
):
    rel = release(lincoln_staff, case, ana, person=lopez_family.aunt).release
    told = Message.objects.filter(idempotency_key__startswith=f"reunify.release.{rel.pk}.")
    people = set(told.values_list("recipient_person_id", flat=True))
    assert lopez_family.mother.pk in people
    assert lopez_family.uncle.pk not in people and lopez_family.aunt.pk not in people
    counselor = told.get(idempotency_key=f"reunify.release.{rel.pk}.counselor")
    assert counselor.channel == "email" and counselor.cause_type == "reunify.case"
    assert counselor.cause_id == case.pk
    assert all(m.cause_type == "reunify.case" for m in told)


def test_release_to_prohibited_adult_is_refused_recorded_and_the_lead_alerted(
    case, lincoln_staff, lopez_family, ana
):
    with pytest.raises(Conflict) as refused:
        release(lincoln_staff, case, ana, person=lopez_family.uncle)

    assert refused.value.code == "release_prohibited"
    assert "Do not release to Pedro Lopez" in refused.value.message
    assert not Release.objects.exists()
    attempt = TimelineEntry.objects.get(case=case, action="release.prohibited_attempt")
    assert "Ana Lopez at Lincoln Elementary" in attempt.text
    assert AuditEntry.objects.filter(action="reunify.release.prohibited_attempt").count() == 1
    alert = Message.objects.get(template_key="reunify.prohibited_attempt")
    assert alert.address == "lead@district.example.org"
    assert alert.lane == "emergency" and alert.emergency
    assert (
        "a release to a do-not-release adult was attempted for Ana Lopez at Lincoln Elementary"
        in alert.body
    )
    assert CaseStudent.objects.get(case=case, student=ana).status != CaseStudent.Status.RELEASED


def test_prohibited_adult_is_refused_even_with_a_lead_override(
    case, crisis_lead, lopez_family, ana
):
    with pytest.raises(Conflict) as refused:
        release(crisis_lead, case, ana, person=lopez_family.uncle, override_reason="I know him")
    assert refused.value.code == "release_prohibited"
    with pytest.raises(Conflict) as approving:
        release_approve(
            actor=crisis_lead,
            case=case,
            student=ana,
            kind="override",
            person=lopez_family.uncle,
            reason="the court order ended",
        )
    assert approving.value.code == "release_prohibited"
    assert not Release.objects.exists() and not ReleaseApproval.objects.exists()
    assert Message.objects.filter(template_key="reunify.prohibited_attempt").count() == 2


def test_not_allowed_adult_needs_an_override_and_the_refusal_is_recorded(
    case, lincoln_staff, crisis_lead, lopez_family, ana
):
    with pytest.raises(Conflict) as refused:
        release(lincoln_staff, case, ana, person=lopez_family.neighbour)
    assert refused.value.code == "release_needs_approval"
    assert TimelineEntry.objects.filter(case=case, action="release.refused").count() == 1

    result = release(
        crisis_lead,
        case,
        ana,
        person=lopez_family.neighbour,
        override_reason="The mother asked us by phone; known to the office.",
    )
    assert result.release.authorization == "override"
    approval = result.release.override
    assert approval.approved_by == crisis_lead and "known to the office" in approval.reason
    assert TimelineEntry.objects.filter(case=case, action="release.approved").exists()
    assert AuditEntry.objects.filter(action="reunify.release.approved.override").exists()


def test_an_override_approved_ahead_by_the_lead_lets_the_desk_release(
    case, lincoln_staff, crisis_lead, lopez_family, ana
):
    release_approve(
        actor=crisis_lead,
        case=case,
        student=ana,
        kind="override",
        person=lopez_family.neighbour,
        reason="Pending review since Monday; the mother confirmed.",
    )
    rel = release(lincoln_staff, case, ana, person=lopez_family.neighbour).release
    assert rel.authorization == "override" and rel.override.approved_by == crisis_lead
    assert rel.handed_over_by == lincoln_staff


def test_only_a_lead_may_override(case, lincoln_staff, lopez_family, ana):
    with pytest.raises(DomainError) as denied:
        release(lincoln_staff, case, ana, person=lopez_family.neighbour, override_reason="ok")
    assert denied.value.status == 403
    assert not TimelineEntry.objects.filter(action__startswith="release.").exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_empty_override_reason_is_refused_and_nothing_is_written(
    case, crisis_lead, lopez_family, ana, reason
):
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as bad:
        release(crisis_lead, case, ana, person=lopez_family.neighbour, override_reason=reason)
    assert bad.value.status == 400 and bad.value.field == "override_reason"
    assert AuditEntry.objects.count() == before
    assert not TimelineEntry.objects.filter(action__startswith="release.").exists()


def test_unlisted_adult_is_not_authorized_without_a_code_or_override(case, lincoln_staff, ana):
    with pytest.raises(Conflict) as refused:
        release(lincoln_staff, case, ana, adult_name="Nadia Vecina")
    assert refused.value.code == "release_not_authorized"
    assert "on no list" in refused.value.message


def test_pending_review_adult_needs_approval(case, lincoln_staff, ana):
    friend = PersonFactory(first_name="Felipe", last_name="Amigo")
    StudentContactFactory(
        student=ana,
        person=friend,
        relationship="friend",
        legal_guardian=False,
        pickup_status=StudentContact.Pickup.PENDING,
    )
    with pytest.raises(Conflict) as refused:
        release(lincoln_staff, case, ana, person=friend)
    assert refused.value.code == "release_needs_approval"
    assert "pending review" in refused.value.message


def test_same_student_and_adult_twice_give_one_record(case, lincoln_staff, lopez_family, ana):
    first = release(lincoln_staff, case, ana, person=lopez_family.aunt)
    again = release(lincoln_staff, case, ana, person=lopez_family.aunt)
    assert first.created and not again.created
    assert again.release.pk == first.release.pk
    assert Release.objects.count() == 1
    assert TimelineEntry.objects.filter(action="release.recorded").count() == 1


def test_same_idempotency_key_gives_the_same_release_and_another_use_is_refused(
    case, lincoln_staff, lopez_family, ana
):
    first = release(lincoln_staff, case, ana, person=lopez_family.aunt, idempotency_key="k-1")
    again = release(lincoln_staff, case, ana, person=lopez_family.aunt, idempotency_key="k-1")
    assert again.release.pk == first.release.pk and not again.created
    luis = lopez_family.children[1]
    with pytest.raises(Conflict) as reused:
        release(lincoln_staff, case, luis, person=lopez_family.aunt, idempotency_key="k-1")
    assert reused.value.code == "idempotency_key_reused"


def test_a_student_already_released_cannot_be_released_again(
    case, lincoln_staff, lopez_family, ana
):
    release(lincoln_staff, case, ana, person=lopez_family.aunt)
    with pytest.raises(Conflict) as again:
        release(lincoln_staff, case, ana, person=lopez_family.grandmother)
    assert again.value.code == "already_released"
    assert "Rosa Diaz" in again.value.message and "lincoln.office" in again.value.message
    assert again.value.extra["released_to"] == "Rosa Diaz"


def test_a_student_not_in_the_case_is_refused(case, lincoln_staff, lopez_family, lincoln):
    from tests.factories import StudentFactory

    other = StudentFactory(school=lincoln)
    with pytest.raises(DomainError) as bad:
        release(lincoln_staff, case, other, person=lopez_family.aunt)
    assert bad.value.code == "student_not_in_case" and bad.value.status == 400


def test_a_student_the_staff_member_may_not_see_is_not_in_the_case(
    case, washington_staff, lopez_family, ana
):
    with pytest.raises(DomainError) as bad:
        release(washington_staff, case, ana, person=lopez_family.aunt)
    assert bad.value.code == "student_not_in_case"


def test_a_closed_case_is_refused(case, crisis_lead, lincoln_staff, lopez_family, ana):
    from reunify.services import case_close

    case_close(actor=crisis_lead, case=case, note="Drill over")
    with pytest.raises(Conflict) as closed:
        release(lincoln_staff, case, ana, person=lopez_family.aunt)
    assert closed.value.code == "case_closed"


def test_an_unknown_person_is_refused(case, lincoln_staff, ana):
    with pytest.raises(DomainError) as bad:
        release(lincoln_staff, case, ana, person=987654)
    assert bad.value.code == "unknown_person" and bad.value.field == "person"


@pytest.mark.parametrize("identity", ["passport", "consular_id", "", None, 3])
def test_identity_outside_the_list_is_refused(case, lincoln_staff, lopez_family, ana, identity):
    with pytest.raises(DomainError) as bad:
        release(lincoln_staff, case, ana, person=lopez_family.aunt, identity=identity)
    assert bad.value.field == "identity"
    assert not Release.objects.exists()


def test_no_photo_id_needs_the_leads_approval_with_how_identity_was_established(
    case, lincoln_staff, crisis_lead, lopez_family, ana
):
    with pytest.raises(DomainError) as missing:
        release(lincoln_staff, case, ana, person=lopez_family.aunt, identity="no_photo_id")
    assert missing.value.field == "identity_established"
    with pytest.raises(Conflict) as refused:
        release(
            lincoln_staff,
            case,
            ana,
            person=lopez_family.aunt,
            identity="no_photo_id",
            identity_established="known_to_staff",
        )
    assert refused.value.code == "release_needs_approval" and refused.value.field == "identity"
    rel = release(
        crisis_lead,
        case,
        ana,
        person=lopez_family.aunt,
        identity="no_photo_id",
        identity_established="known_to_staff",
    ).release
    assert rel.identity_established == "known_to_staff"
    assert rel.identity_approval.approved_by == crisis_lead


def test_a_student_who_says_no_holds_the_release_until_the_lead_confirms_with_a_note(
    case, lincoln_staff, crisis_lead, lopez_family, ana
):
    with pytest.raises(Conflict) as held:
        release(lincoln_staff, case, ana, person=lopez_family.aunt, student_comfortable=False)
    assert held.value.code == "release_held"
    assert TimelineEntry.objects.filter(action="release.held").count() == 1
    release_approve(
        actor=crisis_lead,
        case=case,
        student=ana,
        kind="student_hold",
        person=lopez_family.aunt,
        reason="Counselor and lead talked with Ana: she was upset about the fire drill.",
    )
    rel = release(
        lincoln_staff, case, ana, person=lopez_family.aunt, student_comfortable=False
    ).release
    assert rel.student_comfortable is False
    assert "fire drill" in rel.hold_approval.reason


def test_standby_caregiver_with_a_valid_affidavit_may_take_the_student(
    case, lincoln_staff, lopez_family, ana
):
    caregiver = PersonFactory(first_name="Tia", last_name="Standby")
    PreparednessPlan.objects.create(
        guardian=lopez_family.mother,
        standby_caregiver=caregiver,
        affidavit_on_file=True,
        affidavit_signed_on=timezone.localdate() - datetime.timedelta(days=30),
    )
    rel = release(lincoln_staff, case, ana, person=caregiver).release
    assert rel.authorization == "standby_caregiver"


def test_expired_affidavit_needs_an_override_and_the_guardian_is_asked_to_renew(
    case, lincoln_staff, lopez_family, ana
):
    caregiver = PersonFactory(first_name="Tia", last_name="Standby")
    PreparednessPlan.objects.create(
        guardian=lopez_family.mother,
        standby_caregiver=caregiver,
        affidavit_on_file=True,
        affidavit_signed_on=timezone.localdate() - datetime.timedelta(days=400),
    )
    with pytest.raises(Conflict) as refused:
        release(lincoln_staff, case, ana, person=caregiver)
    assert refused.value.code == "release_needs_approval"
    assert "affidavit has expired" in refused.value.message
    renew = Message.objects.get(template_key="reunify.affidavit_renew")
    assert renew.recipient_person_id == lopez_family.mother.pk


def test_release_and_approvals_have_no_field_for_a_document_or_nationality():
    from reunify.models import Accounting, EventCheckIn, ReleaseCode

    words = ("document", "number", "country", "issuer", "issuing", "nationality", "id_type")
    for model in (
        Release,
        ReleaseApproval,
        ReleaseCorrection,
        ReleaseCode,
        EventCheckIn,
        Accounting,
    ):
        for field in model._meta.get_fields():
            name = field.name.lower()
            assert not is_forbidden_name(name), (model, name)
            assert not any(word in name for word in words), (model, name)
    assert set(Release._meta.get_field("identity").choices) == {
        ("photo_id", "Photo ID checked"),
        ("other_photo_id", "Other photo ID (work, school)"),
        ("no_photo_id", "No photo ID"),
    }


@pytest.mark.parametrize(
    ("image", "initials", "field"),
    [
        ("", "", "signature"),
        ("data:image/jpeg;base64,AAAA", "", "signature"),
        ("data:image/png;base64,not base64!", "", "signature"),
        ("data:image/png;base64,SGVsbG8gd29ybGQgdGhpcyBpcyBub3QgYSBwbmc=", "", "signature"),
        ("data:image/png;base64," + "A" * 300_000, "", "signature"),
        ("", "12", "signature_initials"),
        ("", "<script>", "signature_initials"),
    ],
)
def test_bad_signatures_are_refused(case, lincoln_staff, lopez_family, ana, image, initials, field):
    with pytest.raises(DomainError) as bad:
        release(
            lincoln_staff,
            case,
            ana,
            person=lopez_family.aunt,
            signature_image=image,
            signature_initials=initials,
        )
    assert bad.value.field == field
    assert not Release.objects.exists()


def test_a_drawn_signature_is_kept_with_the_release(case, lincoln_staff, lopez_family, ana):
    image = png_data_url()
    rel = release(
        lincoln_staff,
        case,
        ana,
        person=lopez_family.aunt,
        signature_initials="",
        signature_image=image,
    ).release
    assert Release.objects.get(pk=rel.pk).signature_image == image


def test_a_correction_is_a_new_entry_and_the_release_is_not_edited(
    case, lincoln_staff, crisis_lead, lopez_family, ana
):
    rel = release(lincoln_staff, case, ana, person=lopez_family.aunt).release
    correction = release_correct(
        actor=crisis_lead,
        release=rel,
        changes={"identity": "other_photo_id"},
        reason="It was her work badge, not a government ID.",
    )
    stored = Release.objects.get(pk=rel.pk)
    assert stored.identity == "photo_id"
    assert correction.release_id == rel.pk
    assert release_as_corrected(stored)["identity"] == "other_photo_id"
    assert TimelineEntry.objects.filter(action="release.corrected").exists()


@pytest.mark.parametrize(
    "changes",
    [{"passport_number": "X123"}, {"issuing_country": "MX"}, {"person": 3}, {}],
)
def test_a_correction_cannot_add_a_document_or_change_who_took_the_child(
    case, lincoln_staff, crisis_lead, lopez_family, ana, changes
):
    rel = release(lincoln_staff, case, ana, person=lopez_family.aunt).release
    with pytest.raises(DomainError):
        release_correct(actor=crisis_lead, release=rel, changes=changes, reason="fix")
    assert not ReleaseCorrection.objects.exists()


def test_someone_else_may_not_correct_a_release(case, lincoln_staff, lopez_family, ana):
    rel = release(lincoln_staff, case, ana, person=lopez_family.aunt).release
    other = UserFactory(username="other.office", roles=["school_staff"])
    with pytest.raises(DomainError) as denied:
        release_correct(actor=other, release=rel, changes={"adult_name": "R"}, reason="x")
    assert denied.value.status == 403


def test_the_last_release_closes_the_case(case, lincoln_staff, crisis_lead, lopez_family):
    for child in lopez_family.children:
        release(crisis_lead, case, child, person=lopez_family.aunt)
    case.refresh_from_db()
    assert case.status == "closed"
    assert Release.objects.filter(case=case).count() == 3


def test_the_pickup_request_and_the_code_never_put_a_number_typed_at_the_desk(
    case, lincoln_staff, lopez_family, ana
):
    from reunify.services.release import release_code_request

    with pytest.raises(TypeError):
        release_code_request(
            actor=lincoln_staff,
            case=case,
            student=ana,
            guardian=lopez_family.mother,
            adult_name="Nadia Vecina",
            phone="+13125559999",
        )


def test_each_release_is_in_the_record_of_disclosures_with_its_basis(
    case, lincoln_staff, crisis_lead, lopez_family
):
    ana, luis, sofia = lopez_family.children
    by_aunt = release(lincoln_staff, case, ana, person=lopez_family.aunt).release
    by_neighbour = release(
        crisis_lead,
        case,
        luis,
        person=lopez_family.neighbour,
        override_reason="The mother asked us by phone; known to the office.",
    ).release
    by_stranger = release(
        crisis_lead,
        case,
        sofia,
        adult_name="Nadia Vecina",
        override_reason="Fire at the site; the lead walked her to the shelter.",
    ).release

    records = {d.source_id: d for d in Disclosure.objects.filter(source_type="reunify.release")}
    assert set(records) == {by_aunt.pk, by_neighbour.pk, by_stranger.pk}
    assert records[by_aunt.pk].student_id == ana.pk
    assert records[by_aunt.pk].party == "Rosa Diaz"
    assert records[by_aunt.pk].basis == DisclosureBasis.LISTED_CONTACT
    # The neighbour is on the student's list, though not to pick up: still a listed contact.
    assert records[by_neighbour.pk].basis == DisclosureBasis.LISTED_CONTACT
    stranger = records[by_stranger.pk]
    assert stranger.basis == DisclosureBasis.HEALTH_SAFETY_EMERGENCY
    assert "walked her to the shelter" in stranger.basis_detail
    assert stranger.party == "Nadia Vecina" and stranger.approved_by == crisis_lead


def test_a_closed_case_is_purged_after_its_retention_and_the_disclosures_stay(
    case, crisis_lead, lopez_family, settings
):
    from privacy.services.retention import retention_run

    for child in lopez_family.children:
        release(crisis_lead, case, child, person=lopez_family.aunt)
    case.refresh_from_db()
    disclosures = Disclosure.objects.count()
    assert case.status == "closed" and disclosures >= 3
    settings.PRIVACY_CASE_RETENTION_DAYS = 365

    assert retention_run(now=case.closed_at + datetime.timedelta(days=364))["reunify.cases"] == 0
    assert Release.objects.filter(case=case).exists()

    later = case.closed_at + datetime.timedelta(days=366)
    assert retention_run(now=later)["reunify.cases"] == 1
    assert not Release.objects.exists() and not TimelineEntry.objects.filter(case=case).exists()
    assert not CaseStudent.objects.filter(case=case).exists()
    assert Disclosure.objects.count() == disclosures
    entry = AuditEntry.objects.get(action="reunify.case.purged")
    assert entry.object_id == str(case.pk) and entry.before["students"] == 3
    assert retention_run(now=later)["reunify.cases"] == 0  # nothing twice
