""" "Everything is correct": which contacts it marks verified, the audit entry it writes per child,
and on PostgreSQL that the sign-in check and the change are one statement with the same outcome
as the ORM path."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from contacts.models import Person, Student, StudentContact
from contacts.portal.lib import keyed_hash
from contacts.portal.models import PortalSession
from contacts.portal.selectors import household_student_ids
from contacts.portal.services import (
    household_confirm,
    household_confirm_signed_in,
    portal_session_end,
    portal_session_start,
)
from contacts.portal.services.signin import portal_actor
from contacts.services import STUDENT_CONFIRMED, students_confirm
from privacy.models import AuditEntry
from tests.factories import PersonFactory, StudentContactFactory, StudentFactory

CONFIRM = reverse("portal:confirm")

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="confirm-all is one statement on PostgreSQL only; other databases take the ORM path",
)


def _signed_in(person: Person) -> str:
    _session, key = portal_session_start(person=person, via="test")
    return key


@dataclass
class Around:
    """The links Maria's confirm-all must mark verified, and the children it must audit."""

    guardian: Person
    confirmed_links: set[int]
    children: list[Student]


@pytest.fixture
def around_maria(parent_of_three, lincoln):
    """Maria's three children, and everything next to them that confirm-all must leave alone: a
    prohibited adult of Ana's, Maria's inactive child, a child she is linked to but not the
    guardian of, a child she is barred from, Jose's child with someone else, another family."""
    maria, jose = parent_of_three.guardian, parent_of_three.other_guardian
    ana, luis = parent_of_three.children[:2]
    grandma = StudentContactFactory(
        student=luis, person=PersonFactory(), relationship="grandparent", legal_guardian=False
    )
    StudentContactFactory(
        student=ana, person=PersonFactory(), legal_guardian=False, pickup_status="prohibited"
    )
    moved_away = StudentFactory(school=lincoln, active=False)
    StudentContactFactory(student=moved_away, person=maria)
    niece = StudentFactory(school=lincoln)
    StudentContactFactory(student=niece, person=maria, relationship="other", legal_guardian=False)
    StudentContactFactory(student=niece, person=PersonFactory())
    barred = StudentFactory(school=lincoln)
    StudentContactFactory(student=barred, person=maria, pickup_status="prohibited")
    StudentContactFactory(student=barred, person=PersonFactory())
    half_brother = StudentFactory(school=lincoln)
    StudentContactFactory(student=half_brother, person=jose, relationship="father")
    StudentContactFactory(student=half_brother, person=PersonFactory())
    stranger = StudentFactory(school=lincoln)
    StudentContactFactory(student=stranger, person=PersonFactory())
    return Around(
        guardian=maria,
        confirmed_links={link.pk for link in parent_of_three.links} | {grandma.pk},
        children=parent_of_three.children,
    )


def _verified_links() -> dict[int, object]:
    return dict(
        StudentContact.objects.filter(verified_at__isnull=False).values_list("pk", "verified_at")
    )


def _audit_entries() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=STUDENT_CONFIRMED).order_by("object_id"))


def test_confirm_all_verifies_the_active_childrens_contacts_and_nothing_else(around_maria):
    assert household_confirm(guardian=around_maria.guardian) == len(around_maria.confirmed_links)
    verified = _verified_links()
    assert set(verified) == around_maria.confirmed_links
    assert len(set(verified.values())) == 1


def test_confirm_all_by_session_key_confirms_that_sessions_guardian(around_maria, parent_of_three):
    maria = around_maria.guardian
    _signed_in(parent_of_three.other_guardian)  # Jose signed in too: his session is not hers
    session, verified = household_confirm_signed_in(_signed_in(maria))
    assert session.person.pk == maria.pk
    assert (session.person.first_name, session.person.last_name) == (
        maria.first_name,
        maria.last_name,
    )
    assert verified == len(around_maria.confirmed_links)
    assert set(_verified_links()) == around_maria.confirmed_links
    assert {entry.actor_label for entry in _audit_entries()} == {portal_actor(maria)}


@pytest.mark.parametrize("key", ["", None, "not-a-session-key"])
def test_confirm_all_by_an_unknown_key_changes_nothing(around_maria, key):
    _signed_in(around_maria.guardian)
    assert household_confirm_signed_in(key) == (None, 0)
    assert _verified_links() == {}
    assert _audit_entries() == []


def test_confirm_all_by_a_revoked_or_expired_session_changes_nothing(around_maria):
    revoked = _signed_in(around_maria.guardian)
    portal_session_end(session=PortalSession.objects.get(key_hash=keyed_hash("session", revoked)))
    expired = _signed_in(around_maria.guardian)
    PortalSession.objects.filter(key_hash=keyed_hash("session", expired)).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert household_confirm_signed_in(revoked) == (None, 0)
    assert household_confirm_signed_in(expired) == (None, 0)
    assert _verified_links() == {}
    assert _audit_entries() == []


def test_confirm_all_writes_one_audit_entry_per_child_saying_who_and_when(
    maria_client, around_maria
):
    assert maria_client.post(CONFIRM).status_code == 302
    [verified_at] = set(_verified_links().values())
    entries = _audit_entries()
    assert [entry.object_id for entry in entries] == sorted(
        str(child.pk) for child in around_maria.children
    )
    for entry in entries:
        assert entry.actor is None
        assert entry.actor_label == f"portal:person:{around_maria.guardian.pk}"
        assert entry.object_type == "contacts.student"
        assert entry.before is None
        assert entry.after == {"verified_at": verified_at.isoformat()}
        assert timedelta(0) <= entry.at - verified_at < timedelta(seconds=5)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_confirm_all_is_one_statement_sign_in_check_included(
    maria_client, django_assert_num_queries
):
    # Outside a test transaction, so a BEGIN or COMMIT would be counted too.
    for _ in range(7):  # past psycopg's prepare threshold: prepared, still logged
        with django_assert_num_queries(1) as captured:
            assert maria_client.post(CONFIRM).status_code == 302
        assert captured.captured_queries[0]["sql"].startswith("WITH signed_in AS (SELECT")
    assert len(_audit_entries()) == 7 * 3
    if connection.settings_dict["OPTIONS"].get("prepare_threshold") is not None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            prepared = [statement for (statement,) in cursor.fetchall()]
        assert [s for s in prepared if s.startswith("WITH signed_in AS (SELECT")], prepared


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_confirm_all_with_a_revoked_session_is_sent_to_sign_in_in_one_statement(
    maria_client, django_assert_num_queries
):
    PortalSession.objects.update(revoked_at=timezone.now())
    with django_assert_num_queries(1):
        response = maria_client.post(CONFIRM)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:sign_in")
    assert _verified_links() == {}
    assert _audit_entries() == []


@postgresql_only
def test_one_statement_changes_exactly_what_the_orm_path_changes(around_maria):
    guardian = around_maria.guardian

    def outcome(confirm) -> tuple:
        with transaction.atomic():
            count = confirm()
            verified, entries = _verified_links(), _audit_entries()
            transaction.set_rollback(True)
        [now] = set(verified.values())
        audit = [
            (e.actor_id, e.actor_label, e.object_type, e.object_id, e.before, e.after)
            for e in entries
        ]
        assert all(timedelta(0) <= e.at - now < timedelta(seconds=5) for e in entries)
        # Each path takes its own `now`: compare what each recorded against its own.
        return count, set(verified), audit, now.isoformat()

    def the_orm_path():
        students = [Student(pk=pk) for pk in household_student_ids(guardian)]
        return students_confirm(actor=portal_actor(guardian), students=students)

    key = _signed_in(guardian)
    count, verified, audit, now = outcome(lambda: household_confirm_signed_in(key)[1])
    orm_count, orm_verified, orm_audit, orm_now = outcome(the_orm_path)
    assert (count, verified) == (orm_count, orm_verified)
    assert verified == around_maria.confirmed_links
    assert len(audit) == len(around_maria.children)
    assert [row[:5] for row in audit] == [row[:5] for row in orm_audit]
    assert [row[5] for row in audit] == [{"verified_at": now}] * len(around_maria.children)
    assert [row[5] for row in orm_audit] == [{"verified_at": orm_now}] * len(around_maria.children)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_audit_entry_the_database_refuses_leaves_no_contact_verified(around_maria):
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    action = connection.ops.quote_name(AuditEntry._meta.get_field("action").column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT tests_refuse_confirmations "
            f"CHECK ({action} <> %s) NOT VALID",
            [STUDENT_CONFIRMED],
        )
    key = _signed_in(around_maria.guardian)
    try:
        assert not connection.in_atomic_block  # the statement commits, or fails, on its own
        with pytest.raises(IntegrityError):
            household_confirm_signed_in(key)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT tests_refuse_confirmations")
    assert _verified_links() == {}
    assert _audit_entries() == []
    # The same call goes through once the database accepts the entries.
    household_confirm_signed_in(key)
    assert set(_verified_links()) == around_maria.confirmed_links


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('synchronous_commit')")
        [(value,)] = cursor.fetchall()
    return value


@postgresql_only
def test_confirm_all_lets_its_own_transaction_commit_without_waiting_for_the_disk(around_maria):
    # Inside the test's transaction the statement's setting is visible until that ends.
    before = _synchronous_commit()
    assert before != "off"
    household_confirm_signed_in(_signed_in(around_maria.guardian))
    assert _synchronous_commit() == "off"


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_what_runs_after_confirm_all_on_the_connection_commits_synchronously(around_maria):
    before = _synchronous_commit()
    assert not connection.in_atomic_block
    session, verified = household_confirm_signed_in(_signed_in(around_maria.guardian))
    assert verified == len(around_maria.confirmed_links)
    assert _synchronous_commit() == before
    with transaction.atomic():
        assert _synchronous_commit() == before
