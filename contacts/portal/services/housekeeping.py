"""Housekeeping: the portal keeps spent sign-in material only as long as it can matter.

One-time codes, choices of guardian, personal links and portal sessions hold nothing but hashes,
yet a district should not keep even those once they can no longer be used or investigated: rows
that expired, were used or were revoked more than PORTAL_PURGE_AFTER_DAYS ago (default 7) are
deleted. Rate counters are deleted once their window is over (the longest configured window).
What happened stays in the audit log, which is never purged from here.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from privacy.services import audit_record

from .. import conf
from ..models import OneTimeCode, PortalLink, PortalSession, RateCounter, SignInChoice


@transaction.atomic
def portal_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Delete the portal's spent rows; returns how many of each. Safe to run at any time and
    any number of times at once (each step is one conditional DELETE)."""
    now = now or timezone.now()
    before = now - conf.purge_after()
    longest_window = max(
        window
        for _, window in (
            conf.rate_per_identifier(),
            conf.rate_per_identifier_after_burst(),
            conf.rate_per_ip(),
            conf.staff_login_rate_per_user(),
            conf.staff_login_rate_per_ip(),
        )
    )
    spent = Q(expires_at__lt=before) | Q(used_at__lt=before)
    deleted = {
        "choices": _delete(SignInChoice.objects.filter(spent)),
        "codes": _delete(OneTimeCode.objects.filter(spent)),
        "links": _delete(PortalLink.objects.filter(spent)),
        "sessions": _delete(
            PortalSession.objects.filter(Q(expires_at__lt=before) | Q(revoked_at__lt=before))
        ),
        "rate_counters": _delete(
            RateCounter.objects.filter(window_start__lt=now - timedelta(seconds=longest_window))
        ),
    }
    if any(deleted.values()):
        audit_record(
            actor="system:portal.purge",
            action="portal.purged",
            object_type="portal",
            object_id="housekeeping",
            after=deleted,
        )
    return deleted


def _delete(rows) -> int:
    """Delete; how many rows of the queryset's own model went (not the rows cascaded with them)."""
    return rows.delete()[1].get(rows.model._meta.label, 0)
