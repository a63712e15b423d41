"""Retention of closed cases: privacy's nightly retention run (privacy.services.retention) calls
`cases_purge_closed_before` with the cutoff of PRIVACY_CASE_RETENTION_DAYS (default 365 days
after closing; docs/privacy.md).

A purged case is deleted with everything that hangs off it: its students, counselor
assignments, tasks, outreach, timeline, releases with their signatures, approvals, codes,
check-ins and accounting. What stays is what the law and the district's oversight need: the
record of disclosures (privacy.Disclosure, which names the release or outreach that caused it
by id and is never purged) and the audit log, which gets one entry per purged case saying how
many students it covered. Messages stay in alerts' outbox, whose bodies are wiped on their own
schedule."""

from datetime import datetime

from django.db import transaction

from privacy.services import audit_record

from ..models import Case


def cases_purge_closed_before(*, before: datetime) -> int:
    """Delete the cases closed before `before`, one transaction each, each with an audit entry.
    Idempotent: a case already purged is not there to purge again. Returns how many were
    purged."""
    purged = 0
    ids = Case.objects.filter(status=Case.Status.CLOSED, closed_at__lt=before).values_list(
        "pk", flat=True
    )
    for case_id in list(ids):
        with transaction.atomic():
            case = (
                Case.objects.select_for_update()
                .filter(pk=case_id, status=Case.Status.CLOSED, closed_at__lt=before)
                .first()
            )
            if case is None:
                continue
            summary = {
                "number": case.number,
                "kind": case.kind,
                "drill": case.drill,
                "opened_at": case.opened_at.isoformat(),
                "closed_at": case.closed_at.isoformat(),
                "students": case.students.count(),
            }
            case.delete()
            audit_record(
                actor="system:retention",
                action="reunify.case.purged",
                object_type="reunify.case",
                object_id=str(case_id),
                before=summary,
            )
            purged += 1
    return purged
