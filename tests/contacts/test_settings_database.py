"""DATABASE_URL: each engine gets only the options its driver takes (a SQLite URL crashed every
command with "'prepare_threshold' is an invalid keyword argument"), and a URL naming no
supported database stops the process with one line naming the variable."""

import json
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
        if key not in ("DATABASE_URL", "TEST_DATABASE_NAME", "DATABASE_PREPARED_STATEMENTS")
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


def _database(url: str, **env) -> dict:
    """settings.DATABASES["default"] as a process started with DATABASE_URL=url reads it."""
    code = (
        "import json; from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(json.dumps({k: d.get(k) for k in ('ENGINE', 'CONN_HEALTH_CHECKS', 'OPTIONS')}))"
    )
    result = manage("shell", "--verbosity", "0", "-c", code, DATABASE_URL=url, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_postgres_url_reuses_checked_connections_with_prepared_statements_and_sqlite_gets_only_its_timeout(
    tmp_path,
):
    assert _database("postgres://postgres@127.0.0.1:5432/nowhere") == {
        "ENGINE": "django.db.backends.postgresql",
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"server_side_binding": True, "prepare_threshold": 5},
    }
    assert _database(f"sqlite:///{tmp_path / 'reunify.sqlite3'}") == {
        "ENGINE": "django.db.backends.sqlite3",
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": {"timeout": 20},
    }


def test_prepared_statements_can_be_switched_off_for_a_pooler_in_transaction_mode():
    database = _database(
        "postgres://postgres@127.0.0.1:5432/nowhere", DATABASE_PREPARED_STATEMENTS="0"
    )
    assert database["OPTIONS"] == {}


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
