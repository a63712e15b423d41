"""Privacy fixtures: a legal officer who can be texted, the staff shell's stand-in base template,
and agency documents kept in a temporary folder."""

import copy
from pathlib import Path

import pytest

from privacy.models import StaffContact
from privacy.roles import Role
from tests.factories import UserFactory

STAND_IN_TEMPLATES = Path(__file__).parent / "templates"


@pytest.fixture(autouse=True)
def _privacy_settings(settings, tmp_path, monkeypatch):
    """The staff shell's base template (a stand-in until it is merged), the district's phone
    numbers, and a private documents folder per test."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], STAND_IN_TEMPLATES]
    settings.TEMPLATES = templates
    storages = copy.deepcopy(settings.STORAGES)
    storages["privacy_documents"]["OPTIONS"]["location"] = str(tmp_path / "documents")
    settings.STORAGES = storages
    # The field resolved its storage when the model class was made; point it at this test's.
    from django.core.files.storage import storages as handler

    from privacy.models import AgencyDocument

    field = AgencyDocument._meta.get_field("file")
    monkeypatch.setattr(field, "storage", handler["privacy_documents"])
    settings.LEGAL_OFFICE_PHONE = "+13125550190"
    settings.SAFETY_DEPARTMENT_PHONE = "+13125550191"
    settings.AGENCY_REQUEST_ALERT_USERNAMES = ["superintendent"]
    return settings


@pytest.fixture
def documents_root(_privacy_settings) -> Path:
    return Path(_privacy_settings.STORAGES["privacy_documents"]["OPTIONS"]["location"])


@pytest.fixture
def legal_officer(db):
    """Lena, of the district's legal office, who reads Spanish and has a mobile on file."""
    user = UserFactory(username="legal.office", email="legal@district.example", roles=[Role.LEGAL])
    StaffContact.objects.create(user=user, sms_phone="+13125550180", language="es")
    return user


@pytest.fixture
def lead_with_phone(crisis_lead):
    crisis_lead.email = "lead@district.example"
    crisis_lead.save()
    StaffContact.objects.create(user=crisis_lead, sms_phone="+13125550181", language="en")
    return crisis_lead


@pytest.fixture
def superintendent(db):
    return UserFactory(username="superintendent", email="super@district.example", roles=[])
