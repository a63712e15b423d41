"""Reunify's benchmarks: `python -m benchmarks NAME [args]` runs benchmarks/NAME.py's `run()`
and prints its result as one JSON line (see benchmarks/README.md).

The helpers here set Django up for a benchmark; benchmarks that measure the database use
PostgreSQL, never the embedded SQLite file.
"""

import os
from urllib.parse import urlsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/reunify_bench"


def setup_django(*, postgres: bool = True, migrate: bool = True) -> None:
    """Configure settings from the environment (with benchmark defaults), then django.setup().

    With `postgres`, DATABASE_URL defaults to a local `reunify_bench` database, which is created
    when missing; `migrate` brings its schema up to date.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench")
    if postgres:
        os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
        ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def ensure_database(url: str) -> None:
    """Create the database named in a postgres:// URL if the server does not have it."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit(f"this benchmark needs PostgreSQL; DATABASE_URL is {parts.scheme}://")
    name = parts.path.lstrip("/")
    server = parts._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_name() -> str:
    from django.db import connection

    return connection.settings_dict["NAME"]


def check_disposable_database() -> None:
    """Refuse to empty tables in a database that is not obviously a benchmark database."""
    name = database_name()
    if "bench" not in name and os.environ.get("BENCH_ALLOW_TRUNCATE") != "1":
        raise SystemExit(
            f"refusing to empty tables in database '{name}': use a database whose name contains "
            "'bench' or set BENCH_ALLOW_TRUNCATE=1"
        )
