"""manage.py import_oneroster: idempotent, updates, deactivation, and bad rows reported with
file, line, column and reason while the good rows are imported."""

import csv
import io
import zipfile

import pytest
from django.core.management import CommandError, call_command

from contacts.models import ContactPoint, Person, School, Student, StudentContact
from privacy.models import AuditEntry

pytestmark = pytest.mark.django_db

ORGS = [
    ["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"],
    ["d1", "active", "", "Riverside USD", "district", "RUSD", ""],
    ["o-lin", "active", "", "Lincoln Elementary", "school", "LIN", "d1"],
    ["o-was", "active", "", "Washington Middle", "school", "WAS", "d1"],
]
USER_HEADER = [
    "sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username",
    "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
    "agentSourcedIds", "grades", "password", "metadata.language",
]  # fmt: skip


def user(sourced_id, role, given, family, *, orgs="", identifier="", email="", sms="", phone="",
         agents="", grades="", language=""):  # fmt: skip
    return [sourced_id, "active", "", "true", orgs, role, "", "", given, family, "", identifier,
            email, sms, phone, agents, grades, "", language]  # fmt: skip


def base_users():
    return [
        USER_HEADER,
        user("u1", "student", "Ana", "Lopez", orgs="o-lin", identifier="S1", agents="g1,g2", grades="02", language="es"),
        user("u2", "student", "Sofia", "Lopez", orgs="o-was", identifier="S2", agents="g1,g2", grades="07", language="es"),
        user("u3", "student", "Minh", "Nguyen", orgs="o-lin", identifier="S3", agents="g3", grades="KG", language="vi"),
        user("g1", "parent", "Maria", "Lopez", email="Maria@Example.org", sms="312-555-0101", phone="(312) 555-0111", agents="u1,u2", language="es"),
        user("g2", "guardian", "Jose", "Lopez", sms="3125550102", agents="u1,u2", language="es"),
        user("g3", "parent", "Lan", "Nguyen", sms="+1 312 555 0103", language="vi", agents="u3"),
        user("g4", "relative", "Tio", "Lopez", sms="+52 55 1234 5678", agents="u1"),
    ]  # fmt: skip


ENROLLMENTS = [
    ["sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate", "endDate"],
    ["e1", "active", "", "c1", "o-lin", "u1", "student", "", "", ""],
]  # fmt: skip


def write_export(folder, users, orgs=ORGS, enrollments=ENROLLMENTS):
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (("orgs.csv", orgs), ("users.csv", users), ("enrollments.csv", enrollments)):
        with open(folder / name, "w", newline="") as f:
            csv.writer(f).writerows(rows)
    return folder


def run(path, *args):
    call_command("import_oneroster", str(path), "--quiet", *args)


def state():
    return (
        sorted(Student.objects.values_list("sis_id", "first_name", "school__code", "grade", "home_language", "active")),
        sorted(Person.objects.values_list("sis_id", "first_name", "preferred_language")),
        sorted(ContactPoint.objects.values_list("person__sis_id", "kind", "value", "label", "sms_capable")),
        sorted(StudentContact.objects.values_list("student__sis_id", "person__sis_id", "relationship",
                                                  "legal_guardian", "emergency_priority", "pickup_status")),
    )  # fmt: skip


def test_import_builds_schools_students_guardians_and_links(tmp_path):
    run(write_export(tmp_path / "x", base_users()))
    assert set(School.objects.values_list("code", flat=True)) == {"LIN", "WAS"}
    students, people, points, links = state()
    assert ("S2", "Sofia", "WAS", "07", "es", True) in students
    assert ("g1", "phone", "+13125550101", "mobile", True) in points
    assert ("g1", "phone", "+13125550111", "home", False) in points  # a landline: no SMS
    assert ("g1", "email", "maria@example.org", "other", False) in points
    assert ("g4", "phone", "+525512345678", "mobile", True) in points  # an uncle in Mexico
    assert ("S1", "g1", "parent", True, 1, "allowed") in links
    assert ("S1", "g2", "guardian", True, 2, "allowed") in links
    assert ("S1", "g4", "relative", False, 3, "not_allowed") in links
    # Linked from the guardian's side only: still linked.
    assert ("S3", "g3", "parent", True, 1, "allowed") in links


def test_second_run_of_the_same_files_changes_nothing(tmp_path):
    folder = write_export(tmp_path / "x", base_users())
    run(folder)
    before, audits = state(), AuditEntry.objects.exclude(action="contacts.import.oneroster").count()
    run(folder)
    assert state() == before
    assert AuditEntry.objects.exclude(action="contacts.import.oneroster").count() == audits
    last = AuditEntry.objects.filter(action="contacts.import.oneroster").first()
    assert not any(
        k.endswith(("created", "updated", "removed", "deactivated")) and v
        for k, v in last.after.items()
        if k != "full"
    )


def test_changed_rows_are_updated_and_audited(tmp_path):
    run(write_export(tmp_path / "a", base_users()))
    users = base_users()
    users[1][16] = "03"  # Ana moves up a grade
    users[5][13] = "312-555-0122"  # Jose has a new mobile
    run(write_export(tmp_path / "b", users))
    assert Student.objects.get(sis_id="S1").grade == "03"
    jose = set(ContactPoint.objects.filter(person__sis_id="g2").values_list("value", flat=True))
    assert jose == {"+13125550122"}
    entry = AuditEntry.objects.get(action="contacts.student.updated")
    assert entry.before["grade"] == "02" and entry.after["grade"] == "03"
    assert entry.actor_label == "import:oneroster"


def test_student_missing_from_a_full_export_is_deactivated_not_deleted(tmp_path):
    run(write_export(tmp_path / "a", base_users()))
    users = [row for row in base_users() if row[0] not in ("u3", "g3")]
    run(write_export(tmp_path / "b", users))
    minh = Student.objects.get(sis_id="S3")
    assert minh.active is False
    assert StudentContact.objects.filter(student=minh).exists()
    assert AuditEntry.objects.filter(
        action="contacts.student.deactivated", object_id=str(minh.pk)
    ).exists()


def test_delta_export_deactivates_nobody(tmp_path):
    run(write_export(tmp_path / "a", base_users()))
    run(write_export(tmp_path / "b", base_users()[:2] + base_users()[4:6]), "--delta")
    assert Student.objects.filter(active=True).count() == 3


def test_a_portal_contact_point_survives_a_reimport(tmp_path):
    folder = write_export(tmp_path / "a", base_users())
    run(folder)
    maria = Person.objects.get(sis_id="g1")
    ContactPoint.objects.create(person=maria, kind="phone", value="+13125550177", source="portal")
    run(folder)
    assert maria.contact_points.filter(value="+13125550177").exists()


def test_a_prohibited_link_is_never_removed_by_the_sis(tmp_path):
    run(write_export(tmp_path / "a", base_users()))
    link = StudentContact.objects.get(student__sis_id="S1", person__sis_id="g2")
    link.pickup_status, link.emergency_priority = "prohibited", None
    link.save()
    users = base_users()
    users[1][15] = "g1"  # the SIS drops Jose from Ana
    users[5][15] = "u2"
    run(write_export(tmp_path / "b", users))
    assert StudentContact.objects.filter(pk=link.pk, pickup_status="prohibited").exists()


def test_bad_rows_are_reported_and_the_good_rows_imported(tmp_path, capsys):
    users = base_users()
    users[5][13] = "555-12"  # Jose: a phone that is not a number
    users.append(user("u9", "student", "", "Empty", orgs="o-lin", identifier="S9"))
    users.append(user("u8", "student", "Lost", "Kid", orgs="o-nowhere", identifier="S8"))
    users.append(user("g9", "parent", "Bad", "Mail", email="not-an-email", agents="u3"))
    with pytest.raises(CommandError):
        run(write_export(tmp_path / "x", users))
    err = capsys.readouterr().err
    assert "users.csv:6 [sms] '555-12' is not a valid US phone number." in err
    assert "users.csv:9 [givenName] givenName is empty" in err
    assert "users.csv:10 [orgSourcedIds] no known school among 'o-nowhere'" in err
    assert "users.csv:11 [email] 'not-an-email' is not a valid email address." in err
    assert not Person.objects.filter(sis_id__in=["g2", "g9"]).exists()  # nothing half-written
    assert set(Student.objects.values_list("sis_id", flat=True)) == {"S1", "S2", "S3"}
    assert Person.objects.filter(sis_id="g1").exists()


def test_a_forbidden_column_is_refused_and_the_rest_imports(tmp_path, capsys):
    users = [row + ["x"] for row in base_users()]
    users[0][-1] = "metadata.citizenship"
    with pytest.raises(CommandError):
        run(write_export(tmp_path / "x", users))
    err = capsys.readouterr().err
    assert "users.csv:1 [metadata.citizenship]" in err
    assert "the district does not collect this information" in err
    assert Student.objects.count() == 3


def test_a_zip_export_imports_the_same(tmp_path):
    folder = write_export(tmp_path / "x", base_users())
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name in ("orgs.csv", "users.csv", "enrollments.csv"):
            z.write(folder / name, name)
    run(archive)
    assert Student.objects.count() == 3


def test_missing_file_and_missing_column_are_clear_errors(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CommandError):
        run(tmp_path / "empty")
    assert "users.csv is missing from the export" in capsys.readouterr().err
    users = [[c for c in row if c != "givenName"] for row in base_users()]
    with pytest.raises(CommandError):
        run(write_export(tmp_path / "y", [users[0]]))
    assert "required column 'givenName' is missing" in capsys.readouterr().err
    with pytest.raises(CommandError, match="does not exist"):
        run(tmp_path / "nope")


def test_a_guardian_missing_from_the_export_is_a_warning_and_the_rest_imports(tmp_path):
    """`agentSourcedIds` "g1,g99" named a user the export does not hold: the link to g1 was made
    and g99 dropped without a word."""
    users = base_users()
    users[1] = user("u1", "student", "Ana", "Lopez", orgs="o-lin", identifier="S1", agents="g1,g99", grades="02")  # fmt: skip
    users[4] = user("g1", "parent", "Maria", "Lopez", sms="312-555-0101", agents="u1,u2,u77")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_oneroster", str(write_export(tmp_path / "x", users)), "--quiet", stdout=out, stderr=err)  # fmt: skip
    summary = out.getvalue()
    assert "2 warnings" in summary.splitlines()[0]
    assert "warning: users.csv:2 [agentSourcedIds] 'g99' names no user in the export" in summary
    assert "warning: users.csv:5 [agentSourcedIds] 'u77' names no user in the export" in summary
    assert err.getvalue() == ""
    assert set(
        StudentContact.objects.filter(student__sis_id="S1").values_list("person__sis_id", flat=True)
    ) == {"g1", "g2", "g4"}


def test_a_reference_to_a_refused_row_is_not_a_dangling_warning(tmp_path):
    users = base_users()
    users[5] = user("g2", "guardian", "Jose", "", sms="3125550102", agents="u1,u2")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_oneroster", str(write_export(tmp_path / "x", users)), "--quiet", stdout=out, stderr=io.StringIO())  # fmt: skip
    assert "warning" not in out.getvalue()
