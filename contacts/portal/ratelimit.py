"""Fixed-window request counters kept in the database, so every web process shares them."""

from datetime import UTC, datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from privacy.errors import DomainError

from .lib import keyed_hash
from .models import RateCounter


def _window(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def rate_hit(*, scope: str, value: str, limit: int, window_seconds: int, field: str) -> None:
    """Count one request for (scope, value); raise DomainError "rate_limited" (status 429) once
    more than `limit` requests fall in the current window. The value is stored only hashed."""
    key = keyed_hash("rate", scope, value)
    start = _window(timezone.now(), window_seconds)
    with transaction.atomic():
        counter, _ = RateCounter.objects.get_or_create(key=key, window_start=start)
        RateCounter.objects.filter(pk=counter.pk).update(count=F("count") + 1)
        count = RateCounter.objects.values_list("count", flat=True).get(pk=counter.pk)
    if count > limit:
        raise DomainError(
            f"{field}: too many requests; try again later.",
            code="rate_limited",
            field=field,
            status=429,
        )
