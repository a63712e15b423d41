"""The reunify admin: counselor profiles refuse unknown languages and schools with a message
naming them; cases and timelines are read-only; saves are audited."""

import pytest
from django.test import Client

from privacy.models import AuditEntry
from reunify.admin import CounselorProfileForm
from reunify.models import CounselorProfile
from reunify.services import case_open
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def _form(lincoln, **data):
    user = UserFactory(username="new.counselor")
    base = {"user": user.pk, "schools": [lincoln.pk], "languages": "en, es-MX", "caseload_cap": 8}
    return CounselorProfileForm(data=base | data)


def test_profile_form_accepts_bcp47_languages(lincoln):
    form = _form(lincoln, languages="en; es-MX, vi")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["languages"] == ["en", "es-MX", "vi"]


@pytest.mark.parametrize("languages", ["klingon", "xx-YY", "en, 12"])
def test_profile_form_refuses_unknown_languages_naming_them(lincoln, languages):
    form = _form(lincoln, languages=languages)
    assert not form.is_valid()
    assert "Unknown language:" in form.errors["languages"][0]


def test_profile_form_refuses_an_unknown_school(lincoln):
    form = _form(lincoln, schools=["987654"])
    assert not form.is_valid()
    assert form.errors["schools"] == ["Unknown school: 987654."]


def test_saving_a_profile_in_the_admin_is_audited(admin_client, lincoln):
    user = UserFactory(username="c.new")
    response = admin_client.post(
        "/admin/reunify/counselorprofile/add/",
        {
            "user": user.pk,
            "schools": [lincoln.pk],
            "languages": "vi",
            "caseload_cap": 5,
            "on_duty": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    profile = CounselorProfile.objects.get(user=user)
    assert profile.languages == ["vi"]
    assert AuditEntry.objects.filter(action="reunify.counselor_profile.added").exists()


def test_support_resource_admin_shows_all_four_texts(admin_client):
    page = admin_client.get("/admin/reunify/supportresource/add/").content.decode()
    for name in ("text_en", "text_es", "text_ar", "text_vi"):
        assert f'name="{name}"' in page


def test_cases_are_read_only_in_the_admin(admin_client, crisis_lead, lopez_family, counselors):
    case = case_open(actor=crisis_lead, guardian_ids=[lopez_family.mother.pk]).case
    assert admin_client.get(f"/admin/reunify/case/{case.pk}/change/").status_code == 200
    assert admin_client.get("/admin/reunify/case/add/").status_code == 403
    assert admin_client.post(f"/admin/reunify/case/{case.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/reunify/timelineentry/").status_code == 200
