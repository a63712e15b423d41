"""/api/v1/campaigns/: create, preview, launch, pause, resume, close; bad input; access."""

from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.campaigns.models import Campaign, Recipient

pytestmark = pytest.mark.django_db
URL = "/api/v1/campaigns/"


def body(**overrides):
    now = timezone.now()
    data = {
        "name": "Fall verification",
        "scope": "district",
        "channels": ["sms", "email"],
        "opens_at": (now - timedelta(minutes=1)).isoformat(),
        "closes_at": (now + timedelta(days=14)).isoformat(),
        "reminder_days": [3, 7],
    }
    data.update(overrides)
    return data


def test_data_team_creates_previews_and_launches(
    api_as, data_team, parent_of_three, lincoln, django_capture_on_commit_callbacks
):
    client = api_as(data_team)
    created = client.post(URL, body(scope="schools", school_ids=[lincoln.pk]), format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    preview = client.get(f"{URL}{pk}/preview/").json()
    assert preview["total"] == {
        "school_id": None,
        "school": None,
        "guardians": 2,
        "students": 2,
        "no_channel": 0,
    }
    with django_capture_on_commit_callbacks(execute=True):
        launched = client.post(f"{URL}{pk}/launch/")
    assert launched.status_code == 200
    assert launched.json()["status"] == "launching"
    assert Recipient.objects.filter(campaign_id=pk).count() == 2
    progress = client.get(f"{URL}{pk}/progress/").json()
    assert [row["recipients"] for row in progress] == [2]
    assert client.post(f"{URL}{pk}/pause/").json()["status"] == "paused"
    assert client.post(f"{URL}{pk}/resume/").json()["status"] == "running"
    assert client.post(f"{URL}{pk}/close/").json()["status"] == "closed"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"scope": "schools", "school_ids": []}, "schools"),
        ({"scope": "schools", "school_ids": [987654]}, "schools"),
        ({"scope": "grades", "grades": ["99"]}, "grades"),
        ({"reminder_days": [30]}, "reminder_days"),
        ({"channels": ["pigeon"]}, "channels[0]"),
        ({"opens_at": "2025-09-01T08:00:00Z", "closes_at": "2025-08-01T08:00:00Z"}, "closes_at"),
    ],
)
def test_bad_campaign_is_a_400_naming_the_field(
    api_as, data_team, parent_of_three, overrides, field
):
    response = api_as(data_team).post(URL, body(**overrides), format="json")
    assert response.status_code == 400
    data = response.json()
    named = data["extra"].get("field") or next(iter(data["extra"]["fields"]))
    assert named == field
    assert not Campaign.objects.exists()


def test_launching_twice_or_a_closed_campaign_is_a_409(
    api_as, data_team, parent_of_three, django_capture_on_commit_callbacks
):
    client = api_as(data_team)
    pk = client.post(URL, body(), format="json").json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{URL}{pk}/launch/")
    again = client.post(f"{URL}{pk}/launch/")
    assert again.status_code == 409
    assert again.json()["code"] == "already_launched"
    assert again.json()["extra"]["field"] == "status"
    client.post(f"{URL}{pk}/close/")
    closed = client.post(f"{URL}{pk}/launch/")
    assert (closed.status_code, closed.json()["code"]) == (409, "closed")
    assert Recipient.objects.filter(campaign_id=pk).count() == 2


def test_other_staff_cannot_see_or_create_campaigns(
    api_as, data_team, lincoln_staff, parent_of_three
):
    pk = api_as(data_team).post(URL, body(), format="json").json()["id"]
    client = api_as(lincoln_staff)
    assert client.get(f"{URL}{pk}/").status_code == 404
    assert client.post(f"{URL}{pk}/launch/").status_code == 404
    assert client.get(URL).json()["results"] == []
    assert client.post(URL, body(), format="json").status_code == 403


def test_campaign_list_takes_a_fixed_number_of_queries(
    api_as, data_team, make_campaign, parent_of_three, django_assert_max_num_queries
):
    for i in range(5):
        make_campaign(name=f"Campaign {i}")
    client = api_as(data_team)
    client.get(URL)  # warm the user's roles
    with django_assert_max_num_queries(6):
        response = client.get(URL)
    assert response.json()["count"] == 5
