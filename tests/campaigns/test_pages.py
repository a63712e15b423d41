"""Staff pages: campaigns, the call list, the readiness report; access, languages, CSV."""

import csv
import io

import pytest

from contacts.campaigns import services
from contacts.campaigns.models import Campaign, Recipient
from tests.factories import PersonFactory, PhoneFactory, StudentContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_data_team_creates_a_campaign_from_the_page_and_sees_the_preview(
    as_user, data_team, parent_of_three
):
    client = as_user(data_team)
    assert client.get("/staff/campaigns/new/").status_code == 200
    response = client.post(
        "/staff/campaigns/new/",
        {
            "name": "Spring check",
            "scope": "district",
            "first_channel": "sms",
            "second_channel": "email",
            "third_channel": "",
            "opens_at": "2030-01-10T08:00",
            "closes_at": "2030-01-24T08:00",
            "reminder_days": "3, 7",
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{campaign.pk}/")
    assert campaign.channels == ["sms", "email"] and campaign.reminder_days == [3, 7]
    page = client.get(f"/staff/campaigns/{campaign.pk}/").content.decode()
    assert 'id="preview"' in page and "Lincoln Elementary" in page


def test_a_reminder_after_closing_is_shown_in_spanish_on_the_form(
    as_user, data_team, parent_of_three
):
    client = as_user(data_team)
    response = client.post(
        "/staff/campaigns/new/",
        {
            "name": "Spring check",
            "scope": "district",
            "first_channel": "sms",
            "opens_at": "2030-01-10T08:00",
            "closes_at": "2030-01-14T08:00",
            "reminder_days": "7",
        },
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert response.status_code == 400
    assert "Un recordatorio llegaría después del cierre de la campaña." in response.content.decode()
    assert not Campaign.objects.exists()


def test_launch_from_the_page_and_poll_progress(
    as_user, data_team, parent_of_three, make_campaign, django_capture_on_commit_callbacks
):
    campaign = make_campaign()
    client = as_user(data_team)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/staff/campaigns/{campaign.pk}/launch/")
    assert response.status_code == 302
    fragment = client.get(f"/staff/campaigns/{campaign.pk}/progress/").content.decode()
    assert 'data-percent="100"' in fragment and 'id="progress-table"' in fragment


def test_launching_twice_from_the_page_says_so(
    as_user, data_team, parent_of_three, make_campaign, launch
):
    campaign = launch(make_campaign())
    client = as_user(data_team)
    response = client.post(f"/staff/campaigns/{campaign.pk}/launch/", follow=True)
    assert "This campaign was launched already." in response.content.decode()


def test_school_staff_cannot_open_campaign_pages(as_user, lincoln_staff, make_campaign):
    campaign = make_campaign()
    client = as_user(lincoln_staff)
    assert client.get("/staff/campaigns/").status_code == 404
    assert client.get(f"/staff/campaigns/{campaign.pk}/").status_code == 404
    assert client.post(f"/staff/campaigns/{campaign.pk}/launch/").status_code == 404


def test_progress_fragment_is_a_fixed_number_of_queries(
    as_user, data_team, district, make_campaign, launch, django_assert_max_num_queries
):
    district(20)
    campaign = launch(make_campaign())
    client = as_user(data_team)
    client.get(f"/staff/campaigns/{campaign.pk}/progress/")
    with django_assert_max_num_queries(8):
        client.get(f"/staff/campaigns/{campaign.pk}/progress/")


# --- call list ---------------------------------------------------------------------------------


@pytest.fixture
def closed_campaign(make_campaign, launch, data_team, parent_of_three):
    campaign = launch(make_campaign())
    return services.campaign_close(actor=data_team, campaign=campaign)


def test_call_list_shows_only_the_schools_families_and_records_an_outcome(
    as_user, lincoln_staff, washington_staff, closed_campaign, parent_of_three
):
    page = as_user(lincoln_staff).get("/staff/call-list/").content.decode()
    assert "Maria Lopez" in page and "+13125550101" in page
    # Sofia is at Washington: Lincoln's office does not see her name.
    assert "Ana" in page and "Sofia" not in page
    washington_page = as_user(washington_staff).get("/staff/call-list/").content.decode()
    assert "Maria Lopez" not in washington_page
    maria = Recipient.objects.get(person=parent_of_three.guardian)
    client = as_user(lincoln_staff)
    response = client.post(f"/staff/call-list/{maria.pk}/", {"outcome": "no_answer"})
    assert response.status_code == 302
    maria.refresh_from_db()
    assert maria.response == "no_answer" and maria.responded_at
    other = as_user(washington_staff).post(f"/staff/call-list/{maria.pk}/", {"outcome": "updated"})
    assert other.status_code == 404


def test_call_list_csv_export(as_user, lincoln_staff, closed_campaign):
    response = as_user(lincoln_staff).get("/staff/call-list.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "School"
    assert sorted(r[1] for r in rows[1:]) == ["Jose Lopez", "Maria Lopez"]


def test_call_list_is_a_fixed_number_of_queries(
    as_user, lincoln_staff, closed_campaign, django_assert_max_num_queries
):
    client = as_user(lincoln_staff)
    client.get("/staff/call-list/")
    with django_assert_max_num_queries(12):
        client.get("/staff/call-list/")


# --- readiness ---------------------------------------------------------------------------------


@pytest.fixture
def with_backup(parent_of_three):
    """Ana has an aunt who may pick her up and has a working phone; Luis and Sofia have none."""
    aunt = PersonFactory(first_name="Rosa", last_name="Diaz")
    PhoneFactory(person=aunt, value="+13125550177")
    StudentContactFactory(
        student=parent_of_three.children[0],
        person=aunt,
        relationship="aunt_uncle",
        legal_guardian=False,
        lives_with=False,
        pickup_status="allowed",
        emergency_priority=3,
    )
    return aunt


def test_readiness_report_counts_children_with_no_backup_adult(
    as_user, data_team, with_backup, parent_of_three
):
    response = as_user(data_team).get("/staff/readiness/")
    report = response.context["report"]
    assert report.total.students == 3
    assert report.total.no_backup == 2
    assert report.total.one_household == 2  # Luis and Sofia: only their parents, at home
    assert "<svg" in response.content.decode()
    listing = as_user(data_team).get("/staff/readiness/no_backup/").content.decode()
    assert "Luis Lopez" in listing and "Sofia Lopez" in listing and "Ana Lopez" not in listing


def test_readiness_is_scoped_to_the_staff_members_school(
    as_user, lincoln_staff, with_backup, parent_of_three
):
    report = as_user(lincoln_staff).get("/staff/readiness/").context["report"]
    assert [row.school.name for row in report.schools] == ["Lincoln Elementary"]
    listing = as_user(lincoln_staff).get("/staff/readiness/no_backup/").content.decode()
    assert "Luis Lopez" in listing and "Sofia Lopez" not in listing
    assert "Start a targeted campaign" not in listing


def test_readiness_csv_has_a_row_per_school_and_the_district(as_user, data_team, with_backup):
    response = as_user(data_team).get("/staff/readiness.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert [r[0] for r in rows[1:]] == [
        "Lincoln Elementary",
        "Washington Middle School",
        "District",
    ]
    assert rows[-1][6] == "2"


def test_targeted_campaign_goes_to_exactly_those_families(
    as_user, data_team, with_backup, parent_of_three
):
    response = as_user(data_team).post("/staff/readiness/no_backup/campaign/")
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert campaign.scope == "students"
    assert set(campaign.students.values_list("first_name", flat=True)) == {"Luis", "Sofia"}


def test_readiness_page_in_arabic_is_right_to_left(as_user, data_team, with_backup):
    response = as_user(data_team).get("/staff/readiness/", HTTP_ACCEPT_LANGUAGE="ar")
    page = response.content.decode()
    assert 'dir="rtl"' in page and "تقرير الجاهزية" in page


def test_unknown_readiness_measure_is_a_404(as_user, data_team):
    assert as_user(data_team).get("/staff/readiness/immigration/").status_code == 404
