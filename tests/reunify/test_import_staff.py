"""`manage.py import_staff`: the documented CSV, idempotent, bad rows reported by line."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from privacy.roles import Role, has_role
from reunify.models import CounselorProfile
from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db
EXAMPLE = Path(__file__).resolve().parents[2] / "reunify" / "examples" / "staff.csv"


def test_example_file_imports_and_a_second_run_changes_nothing(lincoln, washington, capsys):
    call_command("import_staff", str(EXAMPLE))
    assert "created 5" in capsys.readouterr().out
    profile = CounselorProfile.objects.get(user__username="m.garcia")
    assert profile.languages == ["en", "es-MX"] and profile.caseload_cap == 8
    assert {s.code for s in profile.schools.all()} == {"LIN", "WAS"}
    assert has_role(profile.user, Role.COUNSELOR)
    call_command("import_staff", str(EXAMPLE))
    assert "unchanged 5" in capsys.readouterr().out


def test_bad_rows_are_reported_with_file_line_and_column(tmp_path, capsys):
    SchoolFactory(code="LIN")
    path = tmp_path / "staff.csv"
    path.write_text(
        "username,role,schools,languages,cap\n"
        "ok.one,counselor,LIN,en,8\n"
        "x2,counselor,NOPE,en,8\n"
        "x3,counselor,LIN,klingon-X,8\n"
        "x4,counselor,LIN,en,0\n"
        "x5,wizard,,,\n"
    )
    with pytest.raises(CommandError):
        call_command("import_staff", str(path))
    err = capsys.readouterr().err
    assert "staff.csv:3 [schools] unknown school code NOPE" in err
    assert "staff.csv:4 [languages] unknown language klingon-X" in err
    assert "staff.csv:5 [cap]" in err
    assert "staff.csv:6 [role]" in err
    assert CounselorProfile.objects.filter(user__username="ok.one").exists()
    assert not CounselorProfile.objects.filter(user__username="x2").exists()
