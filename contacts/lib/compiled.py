"""Queries and statements compiled once per process and run again with new parameters.

Django builds and compiles a queryset's SQL every time it is evaluated. For the few queries behind
the portal's busiest page that costs more CPU than PostgreSQL spends planning and running them
(about 1 ms of Python per query on the benchmark machine, see benchmarks/README.md). A
`CompiledQuery` builds the same queryset once, from the same ORM code, with marker values standing
in for its parameters, keeps the SQL and the compiler, and afterwards only executes that SQL with
the real values. Rows go through the compiler's own converters (found once, too), so they come
back exactly as the queryset would have returned them.

On PostgreSQL the SQL runs on a server-side-binding psycopg cursor, which prepares a statement
the connection has run a few times (psycopg's prepare_threshold): the server then plans these
joins once per connection instead of on every request. Django's own cursors bind on the client
and never prepare. The cursor is wrapped as Django wraps its own, so query logging and
`CaptureQueriesContext` still see these queries. A compiled read stands in for Django's
per-request connection health check (one `SELECT 1` round trip less): a kept-alive connection
the server dropped makes the read fail, and outside a transaction it is reopened and run again.

Use it only for `values_list()` querysets whose parameters are plain ints or strings, passed to
the builder as keyword arguments; the markers must be values no real parameter will equal.

A `CompiledStatement` does the same for a statement that writes (and returns rows): SQL the
builder assembles, typically around a queryset's UPDATE from `update_sql`. It runs once: a write
is never sent again on a dropped connection, as the server may have committed it before the
connection broke.
"""

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import QuerySet
from django.db.models.sql import UpdateQuery


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet], **markers: int | str):
        self._build = build
        self._markers = markers
        self._compiled: dict[str, tuple] = {}

    def _compile(self, using: str) -> tuple:
        compiler = self._build(**self._markers).query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        slots = _slots(params, self._markers)
        converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
        return compiler, converters, sql, _plain(params), slots

    def rows(self, *, using: str = DEFAULT_DB_ALIAS, **values: int | str) -> list[tuple]:
        """The queryset's rows for these parameter values."""
        _check_names(values, self._markers)
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        compiler, converters, sql, params, slots = compiled
        args = _arguments(params, slots, values)
        connection = connections[using]
        try:
            fetched = _fetch(connection, sql, args)
        except (OperationalError, InterfaceError):
            # A kept-alive connection the server has dropped (a restart, an idle timeout).
            # Django's health check finds one with an extra round trip on every request; this
            # read finds it by failing, and is safe to run again outside a transaction.
            if connection.vendor != "postgresql" or connection.in_atomic_block:
                raise
            connection.close()
            fetched = _fetch(connection, sql, args)
        # The connection has just answered: Django's own health check for this request would
        # only cost another round trip.
        connection.health_check_done = True
        if compiler.has_extra_select:
            fetched = [row[: compiler.col_count] for row in fetched]
        if converters:
            fetched = compiler.apply_converters(fetched, converters)
        return [tuple(row) for row in fetched]


class CompiledStatement:
    """A statement that writes and returns rows, assembled once per process and database by
    `build(connection, **markers)` -> (sql, params) and afterwards only executed, with the values
    given to `run` in the markers' places. The values are sent as given: pass what the database
    driver takes (a model field's `get_db_prep_save` makes one)."""

    def __init__(self, build: Callable[..., tuple[str, Sequence]], **markers: Any):
        self._build = build
        self._markers = markers
        self._compiled: dict[str, tuple] = {}

    def run(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[tuple]:
        """Execute the statement with these parameter values and return its rows. Outside a
        transaction the statement commits on its own (one statement is atomic); inside one, a
        failure marks that transaction for rollback, as the ORM's writes do."""
        _check_names(values, self._markers)
        connection = connections[using]
        compiled = self._compiled.get(using)
        if compiled is None:
            sql, params = self._build(connection, **self._markers)
            compiled = self._compiled[using] = (sql, _plain(params), _slots(params, self._markers))
        sql, params, slots = compiled
        with transaction.mark_for_rollback_on_error(using):
            rows = _fetch(connection, sql, _arguments(params, slots, values))
        # As after a read: the connection has just answered, a health check would only cost
        # another round trip.
        connection.health_check_done = True
        return rows


def update_sql(
    queryset: QuerySet, connection: BaseDatabaseWrapper, **values: Any
) -> tuple[str, tuple]:
    """The SQL and parameters of `queryset.update(**values)`, compiled by Django but not run
    (as QuerySet.update builds it, less its inlining of annotations the queryset is ordered by)."""
    if queryset.query.is_sliced:
        raise TypeError("Cannot update a query once a slice has been taken.")
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values(values)
    query.clear_select_clause()
    return query.get_compiler(connection=connection).as_sql()


def _check_names(values: dict, markers: dict) -> None:
    if set(values) != set(markers):
        raise TypeError(f"expected parameters {sorted(markers)}, got {sorted(values)}")


def _slots(params: Sequence, markers: dict) -> tuple[str | None, ...]:
    """For each compiled parameter, the name of the marker it is, or None for a constant."""
    by_value = {value: name for name, value in markers.items()}
    slots = tuple(by_value.get(param) for param in params)
    missing = set(markers) - set(slots)
    if missing:
        raise ImproperlyConfigured(f"parameters not found in the compiled query: {missing}")
    return slots


def _plain(params: Sequence) -> tuple:
    """The compiled constants as plain values: a choice (`StudentContact.Pickup.ALLOWED`) as its
    str. psycopg finds a value's dumper by its exact type first, and only a plain type is found at
    once; every enum member sent on each run cost a walk through its class's ancestors."""
    return tuple(param.value if isinstance(param, Enum) else param for param in params)


def _arguments(params: Sequence, slots: Sequence, values: dict) -> list:
    return [
        param if slot is None else values[slot] for param, slot in zip(params, slots, strict=True)
    ]


def _fetch(connection, sql: str, args: list) -> list[tuple]:
    if connection.vendor == "postgresql" and not (
        connection.queries_logged or connection.execute_wrappers
    ):
        return _fetch_plain(connection, sql, args)
    with _cursor(connection) as cursor:
        cursor.execute(sql, args)
        return cursor.fetchall()


def _fetch_plain(connection, sql: str, args: list) -> list[tuple]:
    """What Django's cursor wrapper does for one execute and fetchall (refuse a broken
    transaction, translate the driver's errors into Django's), done once instead of through its
    wrappers and context managers for each call: 15-20 µs of an 80 µs read on the benchmark
    machine. Used only when nothing is watching Django's cursors (the query log, an
    execute_wrapper); then the wrapped cursor runs the statement, as every other query."""
    import psycopg

    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, args)
        return cursor.fetchall()


def _cursor(connection):
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return _LoggedCursor(raw, connection)
    return connection.make_cursor(raw)


class _LoggedCursor(CursorDebugWrapper):
    """Django's query-logging cursor, logging the SQL it was given. Django reads the text back
    from psycopg's client-side query, which a server-binding cursor leaves empty once the
    statement is prepared: `connection.queries` and `CaptureQueriesContext` then held None."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
            return super(CursorDebugWrapper, self).execute(sql, params)
