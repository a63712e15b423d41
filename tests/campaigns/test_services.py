"""Campaign services: validation, fan-out, answers, reminders, the call list, closing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Message
from alerts.services import inbound_receive
from contacts.campaigns import services
from contacts.campaigns.models import Campaign, Recipient, Reminder, SchoolProgress
from contacts.campaigns.selectors import campaign_preview
from contacts.models import ContactPoint, StudentContact
from contacts.portal.lib import keyed_hash
from contacts.portal.models import PortalLink
from contacts.portal.services import household_confirm
from privacy.errors import Conflict, DomainError
from privacy.models import AuditEntry
from tests.factories import PersonFactory, PhoneFactory, StudentContactFactory

pytestmark = pytest.mark.django_db


def campaign_messages(campaign):
    return Message.objects.filter(cause_type="campaigns.campaign", cause_id=campaign.pk)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"scope": "schools"}, "schools", "empty"),
        ({"scope": "grades"}, "grades", "empty"),
        ({"scope": "schools", "school_ids": [999999]}, "schools", "unknown_school"),
        ({"scope": "grades", "grades": ["13"]}, "grades", "unknown_grade"),
        ({"channels": []}, "channels", "required"),
        ({"channels": ["fax"]}, "channels", "unknown_channel"),
        ({"reminder_days": [20]}, "reminder_days", "reminder_after_close"),
        ({"reminder_days": [0]}, "reminder_days", "invalid"),
        ({"name": "  "}, "name", "required"),
    ],
)
def test_bad_campaign_is_refused_naming_the_field_and_nothing_is_written(
    make_campaign, parent_of_three, overrides, field, code
):
    with pytest.raises(DomainError) as caught:
        make_campaign(**overrides)
    assert (caught.value.field, caught.value.code) == (field, code)
    assert not Campaign.objects.exists()
    assert not AuditEntry.objects.filter(action="campaigns.campaign.created").exists()


def test_closing_before_opening_is_refused(make_campaign):
    now = timezone.now()
    with pytest.raises(DomainError) as caught:
        make_campaign(opens_at=now, closes_at=now - timedelta(hours=1))
    assert caught.value.field == "closes_at"
    assert not Campaign.objects.exists()


def test_launching_twice_is_a_conflict(make_campaign, parent_of_three, data_team, launch):
    campaign = make_campaign()
    launch(campaign)
    with pytest.raises(Conflict) as caught:
        services.campaign_launch(actor=data_team, campaign=Campaign.objects.get(pk=campaign.pk))
    assert (caught.value.code, caught.value.field) == ("already_launched", "status")
    assert Recipient.objects.filter(campaign=campaign).count() == 2


def test_launching_a_closed_campaign_is_a_conflict(
    make_campaign, parent_of_three, data_team, launch
):
    campaign = services.campaign_close(actor=data_team, campaign=make_campaign())
    with pytest.raises(Conflict) as caught:
        launch(campaign)
    assert caught.value.code == "closed"
    assert not Recipient.objects.exists()


# --- preview and fan-out -----------------------------------------------------------------------


def test_preview_counts_guardians_students_and_unreachable_per_school(
    make_campaign, parent_of_three, landline_family, lincoln, washington
):
    preview = campaign_preview(make_campaign(channels=["sms", "email"]))
    by_school = {row.school.pk: row for row in preview.schools}
    # Lincoln: Maria, Jose (Ana, Luis) and Grace (Min), who has only a landline.
    assert (by_school[lincoln.pk].guardians, by_school[lincoln.pk].students) == (3, 3)
    assert by_school[lincoln.pk].no_channel == 1
    assert (by_school[washington.pk].guardians, by_school[washington.pk].students) == (2, 1)
    assert (preview.total.guardians, preview.total.students, preview.total.no_channel) == (3, 4, 1)


def test_launch_writes_one_recipient_and_one_message_per_guardian_covering_every_child(
    make_campaign, parent_of_three, data_team, launch
):
    campaign = make_campaign()
    launch(campaign)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING
    assert (campaign.guardians_total, campaign.recipients_written) == (2, 2)
    maria = Recipient.objects.get(campaign=campaign, person=parent_of_three.guardian)
    assert (maria.children, maria.channel) == (3, "sms")
    messages = campaign_messages(campaign)
    assert messages.count() == 2
    to_maria = messages.get(recipient_person_id=parent_of_three.guardian.pk)
    assert to_maria.language == "es" and to_maria.lane == "bulk"
    assert to_maria.reply_flow == "campaigns.verify"
    assert "/portal/link/" in to_maria.body


def test_the_link_in_the_message_is_stored_only_as_its_hash(
    make_campaign, parent_of_three, data_team, launch
):
    campaign = make_campaign()
    launch(campaign)
    body = campaign_messages(campaign).get(recipient_person_id=parent_of_three.guardian.pk).body
    token = body.split("/portal/link/")[1].split("/")[0]
    link = Recipient.objects.get(person=parent_of_three.guardian).link
    assert link.token_hash == keyed_hash("link", token)
    assert not PortalLink.objects.filter(token_hash=token).exists()
    assert link.expires_at > campaign.closes_at


def test_a_phone_shared_by_two_guardians_gets_one_message(
    make_campaign, parent_of_three, data_team, launch
):
    jose = parent_of_three.other_guardian
    ContactPoint.objects.filter(person=jose).update(value="+13125550101")
    campaign = make_campaign()
    launch(campaign)
    assert Recipient.objects.filter(campaign=campaign).count() == 2
    assert campaign_messages(campaign).count() == 1
    shared = Recipient.objects.get(person=jose)
    assert shared.shared_with.person == parent_of_three.guardian


def test_a_landline_gets_the_voice_text_with_the_office_phone_and_no_link(
    make_campaign, landline_family, data_team, lincoln, launch
):
    from contacts.campaigns.models import SchoolOffice

    SchoolOffice.objects.create(school=lincoln, phone="+13125550199")
    campaign = make_campaign()
    launch(campaign)
    message = campaign_messages(campaign).get()
    assert (message.channel, message.template_key) == ("voice", "campaign.voice")
    assert "+13125550199" in message.body and "link" not in message.body
    assert Recipient.objects.get().link is None


def test_fanout_in_chunks_writes_everyone_once(
    make_campaign, district, data_team, settings, launch
):
    settings.CAMPAIGNS_CHUNK = 7
    district(30)
    campaign = make_campaign()
    launch(campaign)
    assert Recipient.objects.filter(campaign=campaign).count() == 30
    assert campaign_messages(campaign).count() == 30
    # A duplicate fan-out task finds nothing left to write.
    assert services.campaign_fanout(campaign_id=campaign.pk) is False
    assert Recipient.objects.filter(campaign=campaign).count() == 30


def test_a_chunk_reaches_only_its_guardians_in_scope_among_the_adults_between_them(
    make_campaign, district, data_team, lincoln, settings, launch
):
    """A chunk reads the id range its guardians span: the adults in between who are not
    guardians in scope (a pickup adult, a guardian at another school) get nothing, and an
    address shared across two chunks still gets one message."""
    settings.CAMPAIGNS_CHUNK = 3
    guardians = []
    for i in range(4):
        guardians += district(1, start=2 * i)  # Lincoln
        outside = district(1, start=2 * i + 1)[0]  # Washington: out of this campaign's scope
        pickup = PersonFactory(first_name=f"P{i}")
        PhoneFactory(person=pickup, value=f"+1202666{i:04d}")
        StudentContactFactory(
            student=StudentContact.objects.get(person=guardians[-1]).student,
            person=pickup,
            legal_guardian=False,
        )
    ContactPoint.objects.filter(person=guardians[3]).update(value="+12025550000")
    campaign = make_campaign(scope="schools", school_ids=[lincoln.pk])
    launch(campaign)
    recipients = Recipient.objects.filter(campaign=campaign)
    assert sorted(recipients.values_list("person_id", flat=True)) == [g.pk for g in guardians]
    assert recipients.get(person=guardians[3]).shared_with.person == guardians[0]
    assert campaign_messages(campaign).count() == 3
    assert not campaign_messages(campaign).filter(address__startswith="+1202666").exists()
    assert outside.pk not in recipients.values_list("person_id", flat=True)


def test_a_paused_campaign_stops_fanning_out_and_resumes_where_it_stopped(
    make_campaign, district, data_team, settings, django_capture_on_commit_callbacks
):
    settings.CAMPAIGNS_CHUNK = 5
    district(12)
    campaign = make_campaign()
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.LAUNCHING)
    assert services.fanout_chunk(campaign_id=campaign.pk) is True
    services.campaign_pause(actor=data_team, campaign=campaign)
    assert services.fanout_chunk(campaign_id=campaign.pk) is False
    assert Recipient.objects.count() == 5
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_resume(actor=data_team, campaign=Campaign.objects.get(pk=campaign.pk))
    assert Recipient.objects.count() == 12
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.RUNNING


# --- answers -----------------------------------------------------------------------------------


@pytest.fixture
def launched(make_campaign, launch):
    def make(**overrides):
        return launch(make_campaign(**overrides))

    return make


def test_confirming_in_the_portal_marks_the_guardian_done(
    make_campaign, parent_of_three, data_team, launched
):
    campaign = launched()
    household_confirm(guardian=parent_of_three.guardian)
    assert services.portal_answers_collect(campaign_id=campaign.pk) == 1
    maria = Recipient.objects.get(person=parent_of_three.guardian)
    assert maria.response == Recipient.Response.CONFIRMED and maria.responded_at
    # A second pass over the same audit entries changes nothing.
    assert services.portal_answers_collect(campaign_id=campaign.pk) == 0


def test_editing_in_the_portal_counts_as_updated(
    make_campaign, parent_of_three, data_team, launched
):
    from contacts.portal.services import portal_contact_add

    campaign = launched()
    portal_contact_add(
        guardian=parent_of_three.guardian,
        students=parent_of_three.children[:1],
        first_name="Rosa",
        last_name="Diaz",
        relationship="aunt_uncle",
        phone="+13125550177",
        pickup=False,
    )
    services.portal_answers_collect(campaign_id=campaign.pk)
    maria = Recipient.objects.get(person=parent_of_three.guardian)
    assert maria.response == Recipient.Response.UPDATED


def test_sms_yes_confirms_the_guardian_and_all_their_children(
    make_campaign, parent_of_three, data_team, launched
):
    campaign = launched()
    message = campaign_messages(campaign).get(recipient_person_id=parent_of_three.guardian.pk)
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENT)
    inbound_receive(provider_id="SM1", from_address="+13125550101", body="Sí")
    maria = Recipient.objects.get(person=parent_of_three.guardian)
    assert maria.response == Recipient.Response.SMS_YES
    children = [c.pk for c in parent_of_three.children]
    assert not StudentContact.objects.filter(student__in=children, verified_at=None).exists()
    # Jose still has his own answer to give.
    assert Recipient.objects.get(person=parent_of_three.other_guardian).responded_at is None


# --- reminders, call list, closing ----------------------------------------------------------------


def test_reminders_go_only_to_pending_guardians_and_once(
    make_campaign, parent_of_three, data_team, launched
):
    campaign = launched()
    household_confirm(guardian=parent_of_three.guardian)
    later = campaign.opens_at + timedelta(days=3, minutes=1)
    first = services.campaigns_tick(now=later)
    again = services.campaigns_tick(now=later)
    assert (first["reminded"], again["reminded"]) == (1, 0)
    reminder = Reminder.objects.get()
    assert reminder.recipient.person == parent_of_three.other_guardian
    assert campaign_messages(campaign).filter(template_key="campaign.reminder").count() == 1


def test_reminders_wait_for_the_schools_send_window(
    make_campaign, parent_of_three, data_team, settings, launched
):
    settings.CAMPAIGNS_SEND_WINDOW = ("08:00", "20:00")
    campaign = launched()
    day3 = (campaign.opens_at + timedelta(days=3)).astimezone(timezone.get_current_timezone())
    night = day3.replace(hour=23, minute=0) if day3.hour < 23 else day3 + timedelta(hours=1)
    night = night.replace(hour=23)
    assert services.reminders_send(campaign_id=campaign.pk, now=night) == 0
    morning = night + timedelta(hours=10)  # 09:00 the next morning
    assert services.reminders_send(campaign_id=campaign.pk, now=morning) == 2


def test_a_reminder_never_goes_to_an_opted_out_point(
    make_campaign, parent_of_three, data_team, launched
):
    campaign = launched(channels=["sms"])
    ContactPoint.objects.filter(person=parent_of_three.other_guardian).update(
        status=ContactPoint.Status.OPTED_OUT
    )
    services.campaigns_tick(now=campaign.opens_at + timedelta(days=3, minutes=1))
    jose_reminder = Reminder.objects.get(recipient__person=parent_of_three.other_guardian)
    assert jose_reminder.channel == ""
    reminders = campaign_messages(campaign).filter(template_key="campaign.reminder")
    assert list(reminders.values_list("recipient_person_id", flat=True)) == [
        parent_of_three.guardian.pk
    ]


def test_after_the_last_reminder_the_silent_land_on_the_call_list(
    make_campaign, parent_of_three, data_team, launched
):
    campaign = launched()
    household_confirm(guardian=parent_of_three.guardian)
    for day in (3, 7):
        services.campaigns_tick(now=campaign.opens_at + timedelta(days=day, minutes=1))
    listed = Recipient.objects.filter(call_listed_at__isnull=False)
    assert [r.person for r in listed] == [parent_of_three.other_guardian]
    progress = SchoolProgress.objects.get(
        campaign=campaign, school=parent_of_three.children[0].school
    )
    assert (progress.confirmed, progress.call_list) == (1, 1)


def test_tick_closes_the_campaign_and_lists_who_is_left(
    make_campaign, parent_of_three, data_team, launched
):
    campaign = launched(reminder_days=[])
    after = campaign.closes_at + timedelta(minutes=1)
    assert services.campaigns_tick(now=after)["closed"] == 1
    assert services.campaigns_tick(now=after)["closed"] == 0
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.CLOSED
    assert Recipient.objects.filter(call_listed_at__isnull=False).count() == 2


def test_a_call_outcome_counts_as_an_answer(
    make_campaign, parent_of_three, data_team, lincoln_staff, launched
):
    campaign = launched()
    services.campaign_close(actor=data_team, campaign=campaign)
    maria = Recipient.objects.get(person=parent_of_three.guardian)
    services.call_outcome_record(actor=lincoln_staff, recipient=maria, outcome="phone_confirmed")
    maria.refresh_from_db()
    assert (
        maria.response == "phone_confirmed"
        and maria.responded_at
        and maria.called_by == lincoln_staff
    )
    with pytest.raises(DomainError) as caught:
        services.call_outcome_record(actor=lincoln_staff, recipient=maria, outcome="maybe")
    assert caught.value.field == "outcome"


def test_progress_counts_per_school(
    make_campaign, parent_of_three, data_team, lincoln, washington, launched
):
    campaign = launched()
    Message.objects.filter(recipient_person_id=parent_of_three.guardian.pk).update(
        status=Message.Status.DELIVERED
    )
    Message.objects.filter(recipient_person_id=parent_of_three.other_guardian.pk).update(
        status=Message.Status.FAILED, error_code="landline"
    )
    services.campaign_progress_refresh(campaign_id=campaign.pk)
    # Both guardians' first child in scope is at Lincoln.
    row = SchoolProgress.objects.get(campaign=campaign, school=lincoln)
    assert (row.recipients, row.sent, row.delivered, row.failed) == (2, 1, 1, 1)
    assert row.failed_by_reason == {"landline": 1}


def test_recurring_campaign_starts_once_a_day(
    make_campaign, parent_of_three, data_team, django_capture_on_commit_callbacks
):
    template = make_campaign()
    task = services.campaign_schedule_recurring(actor=data_team, campaign=template, month=8, day=15)
    assert task.task == "campaigns.campaign_recur" and task.crontab.month_of_year == "8"
    with django_capture_on_commit_callbacks(execute=True):
        first = services.campaign_recur(template_id=template.pk)
    second = services.campaign_recur(template_id=template.pk)
    assert first is not None and second is None
    assert first.recurring_from == template
    assert Recipient.objects.filter(campaign=first).count() == 2


def test_other_guardian_added_after_launch_is_not_messaged(
    make_campaign, parent_of_three, data_team, launched
):
    campaign = launched()
    newcomer = PersonFactory()
    PhoneFactory(person=newcomer)
    StudentContactFactory(student=parent_of_three.children[0], person=newcomer)
    assert services.campaign_fanout(campaign_id=campaign.pk) is False
    assert not Recipient.objects.filter(person=newcomer).exists()
