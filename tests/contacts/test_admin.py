import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser(
        "root", "root@example.org", "x-long-password-1"
    )
    client.force_login(user)
    return client


def test_admin_lists_and_shows_a_student_with_contacts(admin_client, parent_of_three):
    ana = parent_of_three.children[0]
    assert admin_client.get("/admin/contacts/student/").status_code == 200
    page = admin_client.get(f"/admin/contacts/student/{ana.pk}/change/")
    assert page.status_code == 200
    assert b"Maria Lopez" in page.content
    assert (
        admin_client.get(
            f"/admin/contacts/person/{parent_of_three.guardian.pk}/change/"
        ).status_code
        == 200
    )
