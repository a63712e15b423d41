"""Housekeeping deletes spent sign-in material after PORTAL_PURGE_AFTER_DAYS, and nothing live."""

from datetime import timedelta

from django.utils import timezone

from config.celery import app
from contacts.portal import services
from contacts.portal.lib import keyed_hash
from contacts.portal.models import (
    OneTimeCode,
    PortalLink,
    PortalSession,
    RateCounter,
    SignInChoice,
)
from contacts.portal.tasks import portal_purge as purge_task
from privacy.models import AuditEntry

DAY = timedelta(days=1)


def _code(person, *, expires_at, used_at=None):
    return OneTimeCode.objects.create(
        purpose=OneTimeCode.Purpose.SIGN_IN,
        person=person,
        code_hash=keyed_hash("code", "x", str(expires_at)),
        expires_at=expires_at,
        used_at=used_at,
    )


def test_spent_rows_older_than_the_retention_go_and_live_ones_stay(parent_of_three):
    maria = parent_of_three.guardian
    now = timezone.now()
    old_code = _code(maria, expires_at=now - 8 * DAY)
    used_code = _code(maria, expires_at=now - 8 * DAY, used_at=now - 8 * DAY)
    fresh_code = _code(maria, expires_at=now + timedelta(minutes=5))
    choice = SignInChoice.objects.create(
        code=used_code, token_hash="c" * 64, expires_at=now - 8 * DAY, used_at=now - 8 * DAY
    )
    choice.candidates.set([maria])
    services.portal_link_issue(actor="campaign:1", person=maria)  # live for 14 days
    PortalLink.objects.create(
        person=maria, token_hash="l" * 64, expires_at=now - 8 * DAY, issued_by="campaign:0"
    )
    live, _ = services.portal_session_start(person=maria, via="test")
    ended, _ = services.portal_session_start(person=maria, via="test")
    PortalSession.objects.filter(pk=ended.pk).update(revoked_at=now - 8 * DAY)
    recently_ended, _ = services.portal_session_start(person=maria, via="test")
    PortalSession.objects.filter(pk=recently_ended.pk).update(revoked_at=now - DAY)
    RateCounter.objects.create(key="k" * 64, window_start=now - 2 * DAY, count=3)
    RateCounter.objects.create(key="k" * 64, window_start=now, count=1)

    deleted = services.portal_purge(now=now)

    assert deleted == {
        "choices": 1,
        "codes": 2,
        "links": 1,
        "sessions": 1,
        "rate_counters": 1,
    }
    assert list(OneTimeCode.objects.all()) == [fresh_code]
    assert not SignInChoice.objects.exists()
    assert PortalLink.objects.count() == 1
    assert set(PortalSession.objects.values_list("pk", flat=True)) == {live.pk, recently_ended.pk}
    assert RateCounter.objects.count() == 1
    entry = AuditEntry.objects.get(action="portal.purged")
    assert entry.after == deleted and entry.actor_label == "system:portal.purge"
    assert old_code.pk not in OneTimeCode.objects.values_list("pk", flat=True)


def test_a_second_run_deletes_nothing_and_writes_no_audit_entry(parent_of_three):
    _code(parent_of_three.guardian, expires_at=timezone.now() - 8 * DAY)
    assert purge_task.delay().get()["codes"] == 1
    assert set(services.portal_purge().values()) == {0}
    assert AuditEntry.objects.filter(action="portal.purged").count() == 1


def test_the_purge_runs_every_hour_from_beat():
    entry = app.conf.beat_schedule["portal.purge"]
    assert entry["task"] == "portal.purge" and entry["schedule"] == 3600.0
    app.loader.import_default_modules()  # what a worker does at start: find every app's tasks
    assert "portal.purge" in app.tasks
