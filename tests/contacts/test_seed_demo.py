"""seed_demo builds the synthetic district through the real importers, and a rerun of the same
seed changes nothing."""

import io

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db.models import Count, Max

from contacts.lib.synthetic import INVALID_REASON, read_invalid_numbers
from contacts.models import (
    ContactPoint,
    Person,
    School,
    StaffMembership,
    Student,
    StudentContact,
)
from privacy.models import AuditEntry
from privacy.roles import Role

STUDENTS = 300
SEED = 5
LOGINS = {
    "lead": Role.CRISIS_LEAD,
    "office.lin": Role.SCHOOL_STAFF,
    "data": Role.DATA_TEAM,
    "counselor": Role.COUNSELOR,
    "legal": Role.LEGAL,
}


def seed(tmp_path=None) -> str:
    out = io.StringIO()
    options = {"keep_files": str(tmp_path)} if tmp_path else {}
    call_command(
        "seed_demo", students=STUDENTS, seed=SEED, stdout=out, stderr=io.StringIO(), **options
    )
    return out.getvalue()


def state() -> dict:
    """Everything a rerun must leave as it is."""
    models = (School, Student, Person, ContactPoint, StudentContact, StaffMembership)
    out = {m.__name__: m.objects.count() for m in models}
    out["users"] = get_user_model().objects.count()
    out["groups"] = Group.objects.count()
    for model in (Student, Person, ContactPoint, StudentContact):
        out[f"{model.__name__} last change"] = model.objects.aggregate(m=Max("updated_at"))["m"]
    out["links"] = sorted(
        StudentContact.objects.values_list(
            "student__sis_id",
            "person__first_name",
            "person__last_name",
            "relationship",
            "emergency_priority",
            "pickup_status",
        )
    )
    out["points"] = sorted(
        ContactPoint.objects.values_list("person_id", "kind", "value", "status", "sms_capable")
    )
    out["passwords"] = sorted(get_user_model().objects.values_list("username", "password"))
    return out


def test_seed_demo_builds_the_district_through_the_importers(db, tmp_path):
    output = seed(tmp_path)

    assert Student.objects.filter(active=True).count() == STUDENTS
    assert School.objects.count() == 3
    assert School.objects.filter(code="LIN").exists()
    # A parent of children in more than one school.
    assert (
        Person.objects.annotate(schools=Count("student_links__student__school", distinct=True))
        .filter(schools__gt=1)
        .exists()
    )
    # A parent under a court order: a guardian in the SIS, prohibited, never called.
    prohibited = StudentContact.objects.filter(pickup_status="prohibited")
    assert prohibited.exists()
    assert not prohibited.filter(emergency_priority__isnull=False).exists()
    assert not prohibited.filter(person__sis_id__isnull=True).exists()
    # Children with one guardian and nobody else.
    assert (
        Student.objects.annotate(n=Count("contacts")).filter(n=1).count() >= 5
    )  # several families
    # Landlines that cannot take SMS, and the uncle abroad.
    assert ContactPoint.objects.filter(label="home", sms_capable=False).exists()
    assert ContactPoint.objects.filter(kind="phone", value__startswith="+52").exists()
    assert set(Person.objects.values_list("preferred_language", flat=True)) >= {
        "en",
        "es",
        "ar",
        "vi",
    }
    assert "Demo logins" in output and "office.lin" in output


def test_seed_demo_marks_the_numbers_a_carrier_reported_dead(db, tmp_path):
    seed(tmp_path)

    pairs = read_invalid_numbers(tmp_path / "invalid_numbers.json")
    assert pairs
    invalid = ContactPoint.objects.filter(status=ContactPoint.Status.INVALID)
    assert sorted(invalid.values_list("person__sis_id", "value")) == sorted(pairs)
    assert set(invalid.values_list("last_failure", flat=True)) == {INVALID_REASON}


def test_demo_logins_work_with_their_roles(db):
    seed()

    for username, role in LOGINS.items():
        user = authenticate(None, username=username, password="reunify-demo")
        assert user is not None, username
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert not user.is_superuser
    admin = authenticate(None, username="admin", password="reunify-demo")
    assert admin is not None and admin.is_superuser and admin.is_staff
    office = get_user_model().objects.get(username="office.lin")
    assert list(StaffMembership.objects.filter(user=office).values_list("school__code")) == [
        ("LIN",)
    ]


def test_a_second_run_of_the_same_seed_changes_nothing(db):
    seed()
    before = state()
    audit_before = AuditEntry.objects.count()

    seed()

    assert state() == before
    # Only the importers' "an import ran" entries are new: no row was created or changed.
    new_actions = set(
        AuditEntry.objects.order_by("id")[audit_before:].values_list("action", flat=True)
    )
    assert new_actions <= {"contacts.import.oneroster", "contacts.import.contacts"}
