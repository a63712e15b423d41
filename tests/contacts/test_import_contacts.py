"""manage.py import_contacts: the district's pickup/custody CSV."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from contacts.lib.contacts_csv import COLUMNS
from contacts.models import ContactPoint, Person, StudentContact
from tests.factories import PersonFactory, StudentContactFactory, StudentFactory

pytestmark = pytest.mark.django_db


def write(path, rows, header=COLUMNS):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def run(path):
    call_command("import_contacts", str(path), "--quiet")


@pytest.fixture
def ana(parent_of_three):
    return parent_of_three.children[0]


def grandma(sis_id, **extra):
    return {
        "student_sis_id": sis_id, "first_name": "Carmen", "last_name": "Ruiz",
        "relationship": "grandparent", "legal_guardian": "no", "lives_with": "no",
        "emergency_priority": "3", "pickup_status": "allowed", "language": "es",
        "mobile_phone": "312-555-0150", "email": "carmen@example.org", **extra,
    }  # fmt: skip


def test_adds_an_adult_with_pickup_and_priority(tmp_path, ana):
    run(write(tmp_path / "c.csv", [grandma(ana.sis_id)]))
    link = StudentContact.objects.get(student=ana, person__first_name="Carmen")
    assert (link.relationship, link.emergency_priority, link.pickup_status) == (
        "grandparent",
        3,
        "allowed",
    )
    assert link.source == "staff"
    values = set(link.person.contact_points.values_list("value", flat=True))
    assert values == {"+13125550150", "carmen@example.org"}


def test_the_same_grandmother_for_two_siblings_is_one_person(tmp_path, parent_of_three):
    ana, luis = parent_of_three.children[:2]
    run(write(tmp_path / "c.csv", [grandma(ana.sis_id), grandma(luis.sis_id)]))
    assert Person.objects.filter(first_name="Carmen").count() == 1


def test_second_run_changes_nothing(tmp_path, ana):
    path = write(tmp_path / "c.csv", [grandma(ana.sis_id)])
    run(path)
    before = (
        Person.objects.count(),
        ContactPoint.objects.count(),
        list(StudentContact.objects.values()),
    )
    run(path)
    assert (
        Person.objects.count(),
        ContactPoint.objects.count(),
        list(StudentContact.objects.values()),
    ) == before


def test_priorities_can_be_swapped_in_one_file(tmp_path, parent_of_three, ana):
    rows = [
        {"student_sis_id": ana.sis_id, "first_name": "Maria", "last_name": "Lopez", "relationship": "mother", "emergency_priority": "2"},
        {"student_sis_id": ana.sis_id, "first_name": "Jose", "last_name": "Lopez", "relationship": "father", "emergency_priority": "1"},
    ]  # fmt: skip
    run(write(tmp_path / "c.csv", rows))
    order = list(
        StudentContact.objects.filter(student=ana)
        .order_by("emergency_priority")
        .values_list("person__first_name", flat=True)
    )
    assert order == ["Jose", "Maria"]


def test_split_custody_prohibited_parent(tmp_path, ana):
    row = {"student_sis_id": ana.sis_id, "first_name": "Jose", "last_name": "Lopez", "relationship": "father",
           "pickup_status": "prohibited", "emergency_priority": ""}  # fmt: skip
    run(write(tmp_path / "c.csv", [row]))
    link = StudentContact.objects.get(student=ana, person__first_name="Jose")
    assert (link.pickup_status, link.emergency_priority) == ("prohibited", None)


def test_bad_rows_are_reported_with_line_column_and_reason(tmp_path, ana, capsys):
    rows = [
        grandma(ana.sis_id),
        grandma("S999", first_name="Nobody"),
        grandma(ana.sis_id, first_name="Pedro", mobile_phone="555-12", emergency_priority="4"),
        grandma(ana.sis_id, first_name="", emergency_priority="5"),
        grandma(ana.sis_id, first_name="Rosa", emergency_priority="1"),
        grandma(ana.sis_id, first_name="Luz", emergency_priority="", pickup_status="maybe"),
        grandma(ana.sis_id, first_name="Eva", emergency_priority="2", pickup_status="prohibited"),
        grandma(ana.sis_id, first_name="Ines", emergency_priority="x"),
    ]
    with pytest.raises(CommandError):
        run(write(tmp_path / "c.csv", rows))
    err = capsys.readouterr().err
    assert "contacts.csv:3 [student_sis_id] unknown student 'S999'" in err
    assert "contacts.csv:4 [mobile_phone] '555-12' is not a valid US phone number." in err
    assert "contacts.csv:5 [first_name] first_name is empty" in err
    assert "contacts.csv:6 [emergency_priority] priority 1 already belongs to Maria Lopez" in err
    assert "contacts.csv:7 [pickup_status] 'maybe' is not one of" in err
    assert "contacts.csv:8 [emergency_priority] an adult who is prohibited" in err
    assert "contacts.csv:9 [emergency_priority] 'x' is not a whole number" in err
    names = set(
        StudentContact.objects.filter(student=ana).values_list("person__first_name", flat=True)
    )
    assert names == {"Maria", "Jose", "Carmen"}
    assert not Person.objects.filter(first_name__in=["Pedro", "Rosa", "Luz", "Eva"]).exists()


def test_forbidden_column_is_refused_and_the_rest_imports(tmp_path, ana, capsys):
    header = (*COLUMNS, "country_of_birth")
    with pytest.raises(CommandError):
        run(write(tmp_path / "c.csv", [grandma(ana.sis_id, country_of_birth="x")], header=header))
    assert "contacts.csv:1 [country_of_birth]" in capsys.readouterr().err
    assert StudentContact.objects.filter(person__first_name="Carmen").exists()


def test_an_existing_adult_is_matched_by_sis_id(tmp_path):
    link = StudentContactFactory(
        student=StudentFactory(), person=PersonFactory(sis_id="G77", first_name="Old")
    )
    row = {"student_sis_id": link.student.sis_id, "adult_sis_id": "G77", "first_name": "New",
           "last_name": link.person.last_name, "relationship": "mother", "lives_with": "no"}  # fmt: skip
    run(write(tmp_path / "c.csv", [row]))
    link.refresh_from_db()
    assert link.person.first_name == "New"
    assert link.lives_with is False
    assert Person.objects.count() == 1


def test_two_rows_wanting_one_priority_keep_the_first(tmp_path, ana, capsys):
    rows = [
        grandma(ana.sis_id),
        grandma(ana.sis_id, first_name="Pilar", mobile_phone="312-555-0151", email=""),
    ]
    with pytest.raises(CommandError):
        run(write(tmp_path / "c.csv", rows))
    assert (
        "contacts.csv:3 [emergency_priority] priority 3 already belongs to another adult in this file"
        in capsys.readouterr().err
    )
    assert (
        StudentContact.objects.get(student=ana, emergency_priority=3).person.first_name == "Carmen"
    )


def test_an_adult_without_phone_or_email_is_one_person_for_siblings(tmp_path, parent_of_three):
    ana, luis = parent_of_three.children[:2]
    rows = [
        grandma(s.sis_id, mobile_phone="", email="", emergency_priority="") for s in (ana, luis)
    ]
    run(write(tmp_path / "c.csv", rows))
    assert Person.objects.filter(first_name="Carmen").count() == 1
    assert StudentContact.objects.filter(person__first_name="Carmen").count() == 2


# --- an SIS id that names someone else --------------------------------------------------------


def mother_row(student, sis_id, first="Jose", last="Martinez"):
    return {
        "student_sis_id": student.sis_id, "adult_sis_id": sis_id, "first_name": first,
        "last_name": last, "relationship": "mother",
    }  # fmt: skip


def run_capturing(path, *args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_contacts", str(path), "--quiet", *args, stdout=out, stderr=err)
        failed = False
    except CommandError:
        failed = True
    return failed, out.getvalue(), err.getvalue()


def test_an_sis_id_of_an_adult_with_other_names_is_refused(tmp_path, ana):
    """The README's example on the demo district matched G0000456 and renamed "Mei Martin" to
    "Jose Lopez" in silence."""
    mei = PersonFactory(first_name="Mei", last_name="Martin", sis_id="G0000456")
    StudentContactFactory(student=ana, person=PersonFactory(), relationship="father")
    failed, out, err = run_capturing(write(tmp_path / "c.csv", [mother_row(ana, "G0000456")]))
    assert failed
    assert (
        "contacts.csv:2 [adult_sis_id] SIS id 'G0000456' belongs to Mei Martin, not Jose "
        "Martinez; if the adult was renamed, run with --allow-renames" in err
    )
    mei.refresh_from_db()
    assert (mei.first_name, mei.last_name) == ("Mei", "Martin")
    assert not StudentContact.objects.filter(student=ana, person=mei).exists()


def test_renames_are_made_with_the_flag_and_each_is_listed(tmp_path, ana):
    mei = PersonFactory(first_name="Mei", last_name="Martin", sis_id="G0000456")
    failed, out, _ = run_capturing(
        write(tmp_path / "c.csv", [mother_row(ana, "G0000456")]), "--allow-renames"
    )
    assert not failed
    assert (
        f"renamed: contacts.csv:2 adult {mei.pk} (G0000456) 'Mei Martin' -> 'Jose Martinez'" in out
    )
    mei.refresh_from_db()
    assert (mei.first_name, mei.last_name) == ("Jose", "Martinez")


def test_a_change_of_one_name_is_made_and_listed_without_the_flag(tmp_path, ana):
    mei = PersonFactory(first_name="Mei", last_name="Martin", sis_id="G0000456")
    failed, out, _ = run_capturing(
        write(tmp_path / "c.csv", [mother_row(ana, "G0000456", "Mei", "Martin-Chen")])
    )
    assert not failed
    assert (
        f"renamed: contacts.csv:2 adult {mei.pk} (G0000456) 'Mei Martin' -> 'Mei Martin-Chen'"
        in out
    )
    mei.refresh_from_db()
    assert mei.last_name == "Martin-Chen"


def test_the_readme_example_cannot_collide_with_the_demo_district():
    """The demo's students are S0000001…, its SIS adults G0000001… (contacts/lib/synthetic.py)."""
    example = Path(settings.BASE_DIR) / "contacts" / "examples" / "contacts.csv"
    with example.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows
    demo_id = re.compile(r"^[SG]\d{7}$")
    for row in rows:
        assert not demo_id.match(row["student_sis_id"]), row
        assert not demo_id.match(row["adult_sis_id"] or "G-none"), row
