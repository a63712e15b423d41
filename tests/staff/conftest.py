"""Staff shell fixtures: a pickup adult a guardian asked for, staff signed in by password."""

import pytest
from django.test import Client

from contacts.models import StudentContact
from contacts.portal import services

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


@pytest.fixture
def pending(parent_of_three):
    """Rosa Diaz, added in the portal by Maria Lopez as a pickup adult for her three children
    (Ana and Luis at Lincoln Elementary, Sofia at Washington Middle School)."""
    services.portal_contact_add(
        guardian=parent_of_three.guardian,
        students=parent_of_three.children,
        first_name="Rosa",
        last_name="Diaz",
        relationship="grandparent",
        phone="312-555-0144",
        pickup=True,
    )
    return list(StudentContact.objects.filter(person__first_name="Rosa").order_by("id"))


@pytest.fixture
def signed_in():
    """A client signed in as `user`. Re-read the user: the session keeps a hash of the stored
    password, which the factory's instance may not have."""

    def _signed_in(user) -> Client:
        client = Client()
        client.force_login(type(user).objects.get(pk=user.pk))
        return client

    return _signed_in
