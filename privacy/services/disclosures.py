"""The FERPA record of disclosures (34 CFR 99.32).

Who calls `disclosure_record`, and with what:

- reunify outreach to an adult who is not a legal guardian: `basis=DisclosureBasis.LISTED_CONTACT`,
  `party` the adult's name and relationship, `what` e.g. "that the student needs to be picked up
  today, and the school", `source_type="reunify.outreach"`, `source_id` the outreach row;
- a release: `basis=LISTED_CONTACT` (or PARENTAL_CONSENT for an adult authorised by a guardian's
  one-time code), `what` "release of the student into their care", `source_type="reunify.release"`;
- a granted agency request: written by `agency_request_decide` itself.

Call it inside the transaction that makes the disclosure, so both commit or neither does.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..errors import DomainError
from ..models import BASES_NEEDING_DETAIL, Disclosure, DisclosureBasis
from .audit import _user, actor_label_for, audit_bulk


def check_disclosure(*, party: str, what: str, basis: str, basis_detail: str) -> None:
    """Raise DomainError naming the field when a disclosure could not be recorded as FERPA asks."""
    if not party.strip():
        raise DomainError("party: say who the information was given to.", field="party")
    if not what.strip():
        raise DomainError("what: say what information was given.", field="what")
    if basis not in DisclosureBasis.values:
        choices = ", ".join(DisclosureBasis.values)
        raise DomainError(f"basis: must be one of {choices}.", field="basis")
    if basis in BASES_NEEDING_DETAIL and not basis_detail.strip():
        raise DomainError(
            "basis_detail: describe the articulable threat, or which order or subpoena.",
            field="basis_detail",
        )


def disclosure_record(
    *,
    actor,
    student_ids: Iterable[int],
    party: str,
    what: str,
    basis: str,
    basis_detail: str = "",
    disclosed_at: datetime | None = None,
    source_type: str = "",
    source_id: int | None = None,
) -> list[Disclosure]:
    """Record that information about each of `student_ids` was given to `party`.

    Idempotent per (source_type, source_id, student): recording the same cause again returns the
    records already written (a retried task writes nothing twice). `actor` is the user who
    approved it or a label ("system"). One audit entry per record, in the same transaction.
    Raises DomainError (with the field) for a missing party, what or basis detail, or an unknown
    basis."""
    check_disclosure(party=party, what=what, basis=basis, basis_detail=basis_detail)
    ids = sorted(set(student_ids))
    if not ids:
        raise DomainError("student_ids: name at least one student.", field="student_ids")
    with transaction.atomic():
        existing = {}
        if source_type:
            found = Disclosure.objects.filter(
                source_type=source_type, source_id=source_id, student_id__in=ids
            )
            existing = {d.student_id: d for d in found}
        new = [
            Disclosure(
                student_id=student_id,
                party=party.strip()[:200],
                what=what.strip(),
                basis=basis,
                basis_detail=basis_detail.strip(),
                disclosed_at=disclosed_at or timezone.now(),
                approved_by=_user(actor),
                approved_by_label=actor_label_for(actor),
                source_type=source_type,
                source_id=source_id,
            )
            for student_id in ids
            if student_id not in existing
        ]
        created = Disclosure.objects.bulk_create(new)
        audit_bulk(
            actor=actor,
            action="privacy.disclosure.recorded",
            label=Disclosure._meta.label_lower,
            rows=[
                (str(d.pk), None, {"student_id": d.student_id, "basis": d.basis}) for d in created
            ],
        )
    return sorted([*existing.values(), *created], key=lambda d: d.student_id)
