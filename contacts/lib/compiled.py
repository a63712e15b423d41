"""Read queries compiled once per process and run again with new parameters.

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
"""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import QuerySet


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet], **markers: int | str):
        self._build = build
        self._markers = markers
        self._compiled: dict[str, tuple] = {}

    def _compile(self, using: str) -> tuple:
        compiler = self._build(**self._markers).query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        by_value = {value: name for name, value in self._markers.items()}
        slots = tuple(by_value.get(param) for param in params)
        missing = set(self._markers) - set(slots)
        if missing:
            raise ImproperlyConfigured(f"parameters not found in the compiled query: {missing}")
        converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
        return compiler, converters, sql, tuple(params), slots

    def rows(self, *, using: str = DEFAULT_DB_ALIAS, **values: int | str) -> list[tuple]:
        """The queryset's rows for these parameter values."""
        if set(values) != set(self._markers):
            raise TypeError(f"expected parameters {sorted(self._markers)}, got {sorted(values)}")
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        compiler, converters, sql, params, slots = compiled
        args = [
            param if slot is None else values[slot]
            for param, slot in zip(params, slots, strict=True)
        ]
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


def _fetch(connection, sql: str, args: list) -> list[tuple]:
    with _cursor(connection) as cursor:
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
