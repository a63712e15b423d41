"""CompiledQuery: a values_list() queryset compiled once, run again with new parameters.
CompiledStatement: the same for a statement that writes."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import DataError, IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from contacts.lib.compiled import CompiledQuery, CompiledStatement, update_sql
from contacts.models import StudentContact

MARKER = -918_273_645
PRIORITY = -564_738_291


def _links_of(person_id):
    return (
        StudentContact.objects.filter(person_id=person_id)
        .exclude(pickup_status=StudentContact.Pickup.PROHIBITED)
        .order_by("student__last_name", "id")
        .values_list("student__first_name", "legal_guardian", "emergency_priority", "updated_at")
    )


def test_rows_are_exactly_what_the_queryset_returns(parent_of_three, django_assert_num_queries):
    compiled = CompiledQuery(_links_of, person_id=MARKER)
    for person in (parent_of_three.guardian, parent_of_three.other_guardian):
        with django_assert_num_queries(1):
            rows = compiled.rows(person_id=person.pk)
        assert rows == list(_links_of(person.pk))
        assert len(rows) == 3


def test_other_parameters_give_other_rows(parent_of_three, lincoln_staff):
    compiled = CompiledQuery(_links_of, person_id=MARKER)
    assert compiled.rows(person_id=parent_of_three.guardian.pk)
    assert compiled.rows(person_id=0) == []


def test_choice_constants_are_sent_as_plain_strings(parent_of_three):
    compiled = CompiledQuery(_links_of, person_id=MARKER)
    with CaptureQueriesContext(connection) as captured:
        compiled.rows(person_id=parent_of_three.guardian.pk)
    [(_compiler, _converters, _sql, params, _slots)] = compiled._compiled.values()
    assert StudentContact.Pickup.PROHIBITED in params
    assert {type(param) for param in params} <= {str, int}
    assert "prohibited" in captured.captured_queries[0]["sql"]


def test_a_parameter_must_be_named_as_in_the_builder(db):
    compiled = CompiledQuery(_links_of, person_id=MARKER)
    with pytest.raises(TypeError):
        compiled.rows(person=1)


def test_a_marker_missing_from_the_sql_is_refused(db):
    compiled = CompiledQuery(lambda person_id: _links_of(1), person_id=MARKER)
    with pytest.raises(ImproperlyConfigured):
        compiled.rows(person_id=1)


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_dropped_is_opened_again_for_the_read(parent_of_three):
    if connection.vendor != "postgresql":
        pytest.skip("kept-alive connections are PostgreSQL's")
    import psycopg

    compiled = CompiledQuery(_links_of, person_id=MARKER)
    expected = compiled.rows(person_id=parent_of_three.guardian.pk)
    backend = connection.connection.info.backend_pid
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [backend])
    assert compiled.rows(person_id=parent_of_three.guardian.pk) == expected
    assert connection.connection.info.backend_pid != backend


def test_logged_queries_keep_their_sql_once_the_server_has_prepared_them(parent_of_three):
    """psycopg prepares a statement after a few runs and then keeps no text of it: the query log
    (connection.queries, CaptureQueriesContext) held None from the sixth run on."""
    compiled = CompiledQuery(_links_of, person_id=MARKER)
    with CaptureQueriesContext(connection) as captured:
        for _ in range(8):
            compiled.rows(person_id=parent_of_three.guardian.pk)
    assert len(captured) == 8
    for query in captured.captured_queries:
        assert query["sql"].startswith("SELECT"), query
        assert str(parent_of_three.guardian.pk) in query["sql"]


def test_an_execute_wrapper_sees_the_compiled_read(parent_of_three):
    seen = []

    def watch(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    compiled = CompiledQuery(_links_of, person_id=MARKER)
    with connection.execute_wrapper(watch):
        rows = compiled.rows(person_id=parent_of_three.guardian.pk)
    assert rows == list(_links_of(parent_of_three.guardian.pk))
    assert len(seen) == 1 and seen[0].startswith("SELECT")


def test_a_read_in_a_broken_transaction_is_refused(parent_of_three):
    compiled = CompiledQuery(_links_of, person_id=MARKER)
    with transaction.atomic():
        transaction.set_rollback(True)
        connection.needs_rollback = True
        with pytest.raises(TransactionManagementError):
            compiled.rows(person_id=parent_of_three.guardian.pk)


def test_a_driver_error_in_a_read_is_djangos(db):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite divides by zero without an error")
    broken = CompiledQuery(
        lambda person_id: (
            StudentContact.objects.filter(person_id=person_id)
            .extra(where=["1/0 = 1"])  # noqa: S610 - a constant, to make the database fail
            .values_list("id")
        ),
        person_id=MARKER,
    )
    with pytest.raises(DataError):
        broken.rows(person_id=1)


def _reprioritise(connection, *, person_id, priority):
    """Give all of one adult's links this call-order place; the ids of the links changed."""
    links = StudentContact.objects.filter(person_id=person_id)
    sql, params = update_sql(links, connection, emergency_priority=priority)
    return f"{sql} RETURNING {connection.ops.quote_name('id')}", params


def test_a_compiled_write_runs_with_each_calls_values_and_returns_its_rows(parent_of_three):
    jose = parent_of_three.other_guardian
    jose_links = sorted(link.pk for link in parent_of_three.links if link.person_id == jose.pk)
    statement = CompiledStatement(_reprioritise, person_id=MARKER, priority=PRIORITY)
    with CaptureQueriesContext(connection) as captured:
        for priority in range(3, 11):
            rows = statement.run(person_id=jose.pk, priority=priority)
            assert sorted(pk for (pk,) in rows) == jose_links
    assert set(
        StudentContact.objects.filter(person=jose).values_list("emergency_priority", flat=True)
    ) == {10}
    assert set(
        StudentContact.objects.filter(person=parent_of_three.guardian).values_list(
            "emergency_priority", flat=True
        )
    ) == {1}
    # One statement a run, logged with its SQL and values even once the server has prepared it.
    assert len(captured) == 8
    for query in captured.captured_queries:
        assert query["sql"].startswith("UPDATE"), query
        assert str(jose.pk) in query["sql"]


def test_a_failed_write_marks_the_surrounding_transaction_for_rollback(parent_of_three):
    statement = CompiledStatement(_reprioritise, person_id=MARKER, priority=PRIORITY)
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            # Maria already holds place 1 for each child.
            statement.run(person_id=parent_of_three.other_guardian.pk, priority=1)
        assert transaction.get_rollback()
    assert set(
        StudentContact.objects.filter(person=parent_of_three.other_guardian).values_list(
            "emergency_priority", flat=True
        )
    ) == {2}
