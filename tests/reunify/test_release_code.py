"""A legal guardian's one-time code for an adult: sent to a phone on file, confirmed by an SMS
reply or entered at the desk; single use, 30 minutes, 5 wrong tries lock it; stored hashed."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Message
from alerts.services import inbound_receive
from privacy.errors import Conflict, DomainError
from privacy.models import Disclosure, DisclosureBasis
from reunify.models import Release, ReleaseCode, TimelineEntry
from reunify.services.release import release_code_request, release_code_verify
from tests.fakes.twilio import FakeTwilio

from .release_helpers import open_lopez_case, release

pytestmark = pytest.mark.django_db
MOTHER_PHONE = "+13125550101"


@pytest.fixture(scope="module")
def twilio_server():
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def twilio(twilio_server, settings):
    twilio_server.reset()
    settings.TWILIO_ACCOUNT_SID = twilio_server.account_sid
    settings.TWILIO_AUTH_TOKEN = twilio_server.auth_token
    settings.TWILIO_API_BASE_URL = twilio_server.url
    settings.TWILIO_FROM_NUMBER = "+13125550100"
    settings.ALERTS_TRANSPORT_SMS = "twilio"
    return twilio_server


@pytest.fixture
def case(crisis_lead, lopez_family, counselors):
    return open_lopez_case(crisis_lead, lopez_family)


def _code_of(row: ReleaseCode) -> str:
    body = Message.objects.get(pk=row.message_id).body
    # "reply YES 123456", "responda SI 123456", ...: the code is the message's only six digits.
    return re.search(r"\b(\d{6})\b", body).group(1)


def _request(actor, case, family, **kwargs):
    values = {"guardian": family.mother, "adult_name": "Nadia Vecina"}
    values.update(kwargs)
    return release_code_request(actor=actor, case=case, student=family.children[0], **values)


def test_code_goes_to_the_guardians_phone_on_file_with_the_adults_name(
    case, lincoln_staff, lopez_family
):
    row = _request(lincoln_staff, case, lopez_family)

    message = Message.objects.get(pk=row.message_id)
    assert message.address == MOTHER_PHONE and message.channel == "sms"
    assert message.recipient_person_id == lopez_family.mother.pk
    assert message.fallback == "none" and message.emergency
    assert message.reply_flow == "reunify.release_code"
    assert "Nadia Vecina" in message.body and "30 minutos" in message.body  # the mother's Spanish
    code = _code_of(row)
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert set(row.students.values_list("student_id", flat=True)) == {
        c.pk for c in lopez_family.children
    }


def test_the_code_entered_at_the_desk_authorizes_the_unlisted_adult_for_the_siblings(
    case, lincoln_staff, lopez_family
):
    row = _request(lincoln_staff, case, lopez_family)
    code = _code_of(row)
    ana, luis = lopez_family.children[:2]

    first = release(lincoln_staff, case, ana, adult_name="Nadia Vecina", guardian_code=code)
    assert first.release.authorization == "guardian_code"
    assert first.release.guardian_code_id == row.pk and first.release.person is None
    row.refresh_from_db()
    assert row.confirmed_via == "staff" and row.confirmed_at is not None
    second = release(lincoln_staff, case, luis, adult_name="  nadia   VECINA ")
    assert second.release.guardian_code_id == row.pk
    # The mother's code is her consent, in the record of disclosures for each child.
    records = Disclosure.objects.filter(source_type="reunify.release").order_by("student_id")
    assert [(d.student_id, d.basis) for d in records] == [
        (ana.pk, DisclosureBasis.PARENTAL_CONSENT),
        (luis.pk, DisclosureBasis.PARENTAL_CONSENT),
    ]


def test_the_guardian_replies_yes_with_the_code_by_sms(
    case, lincoln_staff, lopez_family, twilio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        row = _request(lincoln_staff, case, lopez_family)
    assert Message.objects.get(pk=row.message_id).status in ("sent", "delivered")
    code = _code_of(row)

    result = inbound_receive(provider_id="SMreply1", from_address=MOTHER_PHONE, body=f"Si {code}")

    assert result.outcome == "routed"
    row.refresh_from_db()
    assert row.confirmed_via == "sms"
    assert TimelineEntry.objects.filter(action="release.code_confirmed").exists()
    rel = release(lincoln_staff, case, lopez_family.children[0], adult_name="Nadia Vecina")
    assert rel.release.authorization == "guardian_code"


def test_a_reply_with_a_wrong_code_confirms_nothing(
    case, lincoln_staff, lopez_family, twilio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        row = _request(lincoln_staff, case, lopez_family)
    wrong = "000000" if _code_of(row) != "000000" else "111111"
    inbound_receive(provider_id="SMreply2", from_address=MOTHER_PHONE, body=f"YES {wrong}")
    row.refresh_from_db()
    assert row.confirmed_at is None and row.attempts == 1
    with pytest.raises(Conflict):
        release(lincoln_staff, case, lopez_family.children[0], adult_name="Nadia Vecina")


def test_five_wrong_codes_lock_it_and_each_try_is_counted(case, lincoln_staff, lopez_family):
    row = _request(lincoln_staff, case, lopez_family)
    code = _code_of(row)
    wrong = "000000" if code != "000000" else "111111"
    ana = lopez_family.children[0]
    for _ in range(4):
        with pytest.raises(DomainError) as bad:
            release(lincoln_staff, case, ana, adult_name="Nadia Vecina", guardian_code=wrong)
        assert bad.value.code == "code_wrong" and bad.value.status == 400
    with pytest.raises(Conflict) as locked:
        release(lincoln_staff, case, ana, adult_name="Nadia Vecina", guardian_code=wrong)
    assert locked.value.code == "code_locked"
    with pytest.raises(Conflict) as still:
        release(lincoln_staff, case, ana, adult_name="Nadia Vecina", guardian_code=code)
    assert still.value.code == "code_locked"
    row.refresh_from_db()
    assert row.attempts == 5 and row.confirmed_at is None
    assert not Release.objects.exists()


def test_an_expired_code_is_refused(case, lincoln_staff, lopez_family):
    row = _request(lincoln_staff, case, lopez_family)
    code = _code_of(row)
    ReleaseCode.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(Conflict) as expired:
        release_code_verify(actor=lincoln_staff, release_code=row, code=code)
    assert expired.value.code == "code_expired"


def test_a_used_code_cannot_authorize_another_adult(case, lincoln_staff, lopez_family):
    row = _request(lincoln_staff, case, lopez_family)
    code = _code_of(row)
    release_code_verify(actor=lincoln_staff, release_code=row, code=code)
    with pytest.raises(Conflict) as used:
        release_code_verify(actor=lincoln_staff, release_code=row, code=code)
    assert used.value.code == "code_used"
    with pytest.raises(DomainError) as other:
        release(
            lincoln_staff,
            case,
            lopez_family.children[0],
            adult_name="Someone Else",
            guardian_code=code,
        )
    assert other.value.code == "code_wrong"


def test_a_code_cannot_authorize_a_prohibited_adult(case, lincoln_staff, lopez_family):
    with pytest.raises(Conflict) as refused:
        _request(lincoln_staff, case, lopez_family, adult_name="", person=lopez_family.uncle)
    assert refused.value.code == "release_prohibited"
    assert not ReleaseCode.objects.exists()
    assert TimelineEntry.objects.filter(action="release.prohibited_attempt").exists()


def test_only_a_legal_guardian_of_the_student_receives_a_code(case, lincoln_staff, lopez_family):
    with pytest.raises(DomainError) as bad:
        _request(lincoln_staff, case, lopez_family, guardian=lopez_family.aunt)
    assert bad.value.code == "not_a_guardian"


def test_a_phone_that_is_not_the_guardians_is_refused(case, lincoln_staff, lopez_family):
    aunt_phone = lopez_family.aunt.contact_points.get()
    with pytest.raises(DomainError) as bad:
        _request(lincoln_staff, case, lopez_family, contact_point=aunt_phone.pk)
    assert bad.value.code == "no_phone_on_file" and bad.value.field == "contact_point"
    assert not ReleaseCode.objects.exists()
