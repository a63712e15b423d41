import pytest
from django.apps import apps
from django.core import checks
from django.db import models

from privacy.checks import check_no_forbidden_fields
from privacy.minimisation import forbidden_columns, forbidden_keys, is_forbidden_name


@pytest.mark.parametrize(
    "name",
    [
        "immigration_status",
        "citizenship",
        "CountryOfBirth",
        "country_of_birth",
        "birth_country",
        "visa_type",
        "a_number",
        "A-Number",
        "alien_registration",
        "passport_no",
        "ssn",
        "social_security_number",
        "SocialSecurityNumber",
        "nationality",
    ],
)
def test_forbidden_names_are_recognised(name):
    assert is_forbidden_name(name)


@pytest.mark.parametrize(
    "name",
    ["first_name", "advisable", "supervisor_phone", "emergency_priority", "phone_number", "grade"],
)
def test_ordinary_names_pass(name):
    assert not is_forbidden_name(name)


def test_forbidden_keys_are_found_at_any_depth():
    payload = {"first_name": "A", "contacts": [{"phone": "1", "passport": "X"}]}
    assert forbidden_keys(payload) == ["contacts[0].passport"]


def test_forbidden_columns_lists_only_the_bad_ones():
    assert forbidden_columns(["sourcedId", "citizenship", "givenName"]) == ["citizenship"]


def test_system_check_fails_for_a_model_with_a_forbidden_field():
    class Intake(models.Model):  # noqa: DJ008
        immigration_status = models.CharField(max_length=10)

        class Meta:
            app_label = "privacy"

    try:
        errors = check_no_forbidden_fields()
        assert [e.id for e in errors] == ["privacy.E001"]
        assert "privacy.Intake.immigration_status" in errors[0].msg
        assert errors[0].level == checks.ERROR
    finally:
        del apps.all_models["privacy"]["intake"]
        apps.clear_cache()


def test_the_project_itself_passes_the_check():
    assert check_no_forbidden_fields() == []
