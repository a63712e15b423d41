"""Read queries compiled once per process and run again with new parameters.

Django builds and compiles a queryset's SQL every time it is evaluated. For the few queries behind
the portal's busiest page that costs more CPU than PostgreSQL spends planning and running them
(about 1 ms of Python per query on the benchmark machine, see benchmarks/README.md). A
`CompiledQuery` builds the same queryset once, from the same ORM code, with marker values standing
in for its parameters, keeps the SQL and the compiler, and afterwards only executes that SQL with
the real values. Rows go through the compiler's own converters, so they come back exactly as the
queryset would have returned them.

On PostgreSQL the SQL runs on a server-side-binding psycopg cursor, which prepares a statement
the connection has run a few times (psycopg's prepare_threshold): the server then plans these
joins once per connection instead of on every request. Django's own cursors bind on the client
and never prepare. The cursor is wrapped as Django wraps its own, so query logging and
`CaptureQueriesContext` still see these queries.

Use it only for `values_list()` querysets whose parameters are plain ints or strings, passed to
the builder as keyword arguments; the markers must be values no real parameter will equal.
"""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
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
        return compiler, sql, tuple(params), slots

    def rows(self, *, using: str = DEFAULT_DB_ALIAS, **values: int | str) -> list[tuple]:
        """The queryset's rows for these parameter values."""
        if set(values) != set(self._markers):
            raise TypeError(f"expected parameters {sorted(self._markers)}, got {sorted(values)}")
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        compiler, sql, params, slots = compiled
        args = [
            param if slot is None else values[slot]
            for param, slot in zip(params, slots, strict=True)
        ]
        with _cursor(connections[using]) as cursor:
            cursor.execute(sql, args)
            fetched = cursor.fetchall()
        if compiler.has_extra_select:
            fetched = [row[: compiler.col_count] for row in fetched]
        return list(compiler.results_iter(results=[fetched], tuple_expected=True))


def _cursor(connection):
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)
