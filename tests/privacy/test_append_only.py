import pytest
from django.db import DatabaseError, connection, transaction

from privacy.models import AccessLogEntry, AuditEntry
from privacy.services import audit_record

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's"
    ),
]


def test_an_audit_entry_cannot_be_changed_or_deleted(parent_of_three):
    entry = audit_record(actor="system", action="tests.changed", obj=parent_of_three.guardian)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="tests.rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "tests.changed"


def test_an_access_log_entry_cannot_be_deleted(api_as, lincoln_staff, parent_of_three):
    ana = parent_of_three.children[0]
    api_as(lincoln_staff).get(f"/api/v1/students/{ana.pk}/")
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLogEntry.objects.all().delete()
    assert AccessLogEntry.objects.count() == 1
