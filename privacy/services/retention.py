"""Retention: what is kept for how long, and the scheduled run that purges or anonymises it.

- Agency requests: their documents are deleted PRIVACY_AGENCY_DOCUMENT_RETENTION_DAYS (default
  365) after the request was closed; the request itself is anonymised (officer's details,
  purpose, notes and the student links removed; the decision and its basis kept)
  PRIVACY_AGENCY_REQUEST_RETENTION_DAYS (default 1095, three years) after it was closed. The
  record of disclosures is never removed (FERPA keeps it as long as the student's records), and
  every purge writes an audit entry.
- Other apps' records: an app registers a purge for its own rows (call it in AppConfig.ready()):

      from privacy.services.retention import retention_register
      retention_register("reunify.cases", purge=cases_purge_closed_before,
                         days_setting="PRIVACY_CASE_RETENTION_DAYS")

  `purge(before=<aware datetime>) -> int` removes or anonymises what was closed before that
  time, writes its own audit entries, and returns how many rows it handled; it must be
  idempotent (the run is daily and may repeat). `days_setting` names the setting of days to keep.
- Message bodies that carried a one-time code or a personal link: wiped once the code or link
  has expired (PRIVACY_WIPE_MESSAGE_BODIES, prefix of the idempotency key -> seconds after
  which what it carried has expired), through alerts' `message_bodies_wipe`.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alerts.services.wipe import message_bodies_wipe

from ..models import AgencyDocument, AgencyRequest, AgencyRequestStudent
from .audit import audit_record

logger = logging.getLogger(__name__)
ACTOR = "system:retention"
REMOVED = "[removed under the retention policy]"
BATCH = 200


@dataclass(frozen=True)
class RetentionHook:
    name: str
    purge: Callable[..., int]
    days_setting: str


_hooks: dict[str, RetentionHook] = {}


def retention_register(name: str, *, purge: Callable[..., int], days_setting: str) -> None:
    """Register another app's purge (see the module docstring). Registering a name twice with a
    different function is a bug in the caller."""
    existing = _hooks.get(name)
    if existing is not None and existing.purge is not purge:
        raise ValueError(f"retention {name!r} already has a purge")
    _hooks[name] = RetentionHook(name, purge, days_setting)


def _cutoff(now: datetime, setting: str, default: int) -> datetime:
    return now - timedelta(days=getattr(settings, setting, default))


def agency_documents_purge(*, before: datetime) -> int:
    """Delete the files of documents whose request was closed before `before`. The storage call
    is made outside any transaction; the row is then marked (and audited) in one. A crash between
    the two leaves a row that the next run marks (deleting a missing file is a no-op)."""
    done = 0
    documents = AgencyDocument.objects.filter(
        purged_at__isnull=True, request__closed_at__lt=before
    ).order_by("id")
    for document in list(documents[:BATCH]):
        if document.file:
            document.file.storage.delete(document.file.name)
        with transaction.atomic():
            changed = AgencyDocument.objects.filter(pk=document.pk, purged_at__isnull=True).update(
                purged_at=timezone.now(), file=""
            )
            if changed:
                audit_record(actor=ACTOR, action="privacy.agency_document.purged", obj=document)
                done += 1
    return done


def agency_requests_anonymise(*, before: datetime) -> int:
    """Anonymise requests closed before `before`: what identifies the officer and the students
    goes, the decision, its basis and what was given stay (and the disclosure records)."""
    done = 0
    requests = AgencyRequest.objects.filter(
        status=AgencyRequest.Status.CLOSED, closed_at__lt=before, anonymised_at__isnull=True
    ).order_by("id")
    for request in list(requests[:BATCH]):
        if request.documents.filter(purged_at__isnull=True).exists():
            agency_documents_purge(before=timezone.now())
        with transaction.atomic():
            changed = AgencyRequest.objects.filter(
                pk=request.pk, anonymised_at__isnull=True
            ).update(
                anonymised_at=timezone.now(),
                officer_name=REMOVED,
                badge_number="",
                supervisor_phone="",
                purpose=REMOVED,
                records_requested="",
                document_other="",
                notes="",
                guardian_notice_reason="",
            )
            if changed:
                AgencyRequestStudent.objects.filter(request=request).delete()
                audit_record(actor=ACTOR, action="privacy.agency_request.anonymised", obj=request)
                done += 1
    return done


def message_bodies_wipe_expired(*, now: datetime) -> int:
    wiped = 0
    for prefix, seconds in settings.PRIVACY_WIPE_MESSAGE_BODIES.items():
        before = now - timedelta(seconds=seconds)
        wiped += message_bodies_wipe(idempotency_key_prefixes=[prefix], before=before)
    return wiped


def retention_run(*, now: datetime | None = None) -> dict[str, int]:
    """The daily run: every purge, each in its own transactions, counts returned by name."""
    now = now or timezone.now()
    counts = {
        "privacy.agency_documents": agency_documents_purge(
            before=_cutoff(now, "PRIVACY_AGENCY_DOCUMENT_RETENTION_DAYS", 365)
        ),
        "privacy.agency_requests": agency_requests_anonymise(
            before=_cutoff(now, "PRIVACY_AGENCY_REQUEST_RETENTION_DAYS", 1095)
        ),
        "alerts.message_bodies": message_bodies_wipe_expired(now=now),
    }
    for hook in list(_hooks.values()):
        counts[hook.name] = hook.purge(before=_cutoff(now, hook.days_setting, 365))
    logger.info("privacy retention run: %s", counts)
    return counts
