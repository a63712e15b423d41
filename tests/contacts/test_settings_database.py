"""DATABASE_URL: each engine gets only the options its driver takes (a SQLite URL crashed every
command with "'prepare_threshold' is an invalid keyword argument"), and a URL naming no
supported database stops the process with one line naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def manage(*args, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "TEST_DATABASE_NAME")
    }
    environment |= {"SECRET_KEY": "x", "HTTPS": "0", **env}
    return subprocess.run(
        [sys.executable, str(MANAGE), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_sqlite_url_runs_commands(tmp_path):
    url = f"sqlite:///{tmp_path / 'reunify.sqlite3'}"
    result = manage("migrate", "--noinput", DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "reunify.sqlite3").exists()
    result = manage("check", DATABASE_URL=url)
    assert result.returncode == 0, result.stderr


def test_a_postgres_url_reuses_checked_connections_and_sqlite_gets_only_its_timeout(tmp_path):
    code = "from django.conf import settings as s; d = s.DATABASES['default']; print(d['ENGINE'], bool(d.get('CONN_HEALTH_CHECKS')), d.get('OPTIONS'))"
    result = manage(
        "shell",
        "--verbosity",
        "0",
        "-c",
        code,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/nowhere",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "True", "{}"]
    url = f"sqlite:///{tmp_path / 'reunify.sqlite3'}"
    result = manage("shell", "--verbosity", "0", "-c", code, DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "False", "{'timeout':", "20}"]


@pytest.mark.parametrize(
    "url,says",
    [
        ("mysql://user:secret@db/reunify", "'mysql' is not a supported database"),
        ("reunify.sqlite3", "no scheme is not a supported database"),
        ("http://example.org/x", "'http' is not a supported database"),
        ("postgres://user:secret@db:5432/", "the postgres URL names no database"),
    ],
)
def test_a_wrong_or_unsupported_url_stops_with_one_line_naming_the_variable(url, says):
    result = manage("check", DATABASE_URL=url)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("DATABASE_URL: ")
    assert says in lines[0]
    assert "secret" not in result.stderr  # a password in the URL is never echoed
