"""The portal benchmark serves with docker-compose's own `web` command, read the way docker
compose reads it."""

import pytest

pytest.importorskip("yaml")

from benchmarks.portal import gunicorn_command  # noqa: E402


def _option(cmd: list[str], name: str) -> str:
    return cmd[cmd.index(name) + 1]


def test_the_benchmark_runs_compose_web_command_bound_to_localhost(monkeypatch):
    monkeypatch.delenv("WEB_WORKERS", raising=False)
    cmd = gunicorn_command(8123)
    assert cmd[1:4] == ["-m", "gunicorn", "config.wsgi:application"]
    assert _option(cmd, "--bind") == "127.0.0.1:8123"
    # compose's default for ${WEB_WORKERS:-4}
    assert _option(cmd, "--workers") == "4"
    assert not any("${" in arg for arg in cmd)


def test_web_workers_from_the_environment_as_compose_reads_them(monkeypatch):
    monkeypatch.setenv("WEB_WORKERS", "9")
    assert _option(gunicorn_command(8123), "--workers") == "9"
    monkeypatch.setenv("WEB_WORKERS", "")  # set but empty: compose's ":-" takes the default
    assert _option(gunicorn_command(8123), "--workers") == "4"
