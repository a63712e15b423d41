"""Fan-out and reminders: writing recipients, links and messages in set-based chunks.

A chunk is a range of guardian ids: one transaction reads its guardians' children, contact points
and channel preferences with one query each, then writes recipients, links and outbox messages
with one COPY each on PostgreSQL (config/bulk.py, contacts/campaigns/fanout.py). The campaign
row is locked for the chunk and the chunk moves its id cursor, so a duplicate fan-out task
waits, then finds the range done: the chunk is the only writer of its rows.
"""

import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from config.bulk import bulk_insert
from contacts.models import ContactPoint, Person
from contacts.portal.models import MessagePreference
from privacy.services import audit_record

from .. import conf, fanout, messages
from ..models import Campaign, Recipient, Reminder, SchoolOffice
from ..selectors import campaign_guardians, reachable_on, scope_guardianships
from .lifecycle import SYSTEM_ACTOR

logger = logging.getLogger(__name__)

# Addresses per query when looking for the adults outside a chunk who share its addresses.
ADDRESS_BATCH = 500


@dataclass(frozen=True)
class Point:
    pk: int
    person_id: int
    kind: str
    value: str
    sms_capable: bool


def choose_channel(
    points: list[Point], channels: list[str], wanted: list[str] | None
) -> tuple[str, Point] | None:
    """The first of the campaign's channels (in its order) that the guardian accepts for
    non-emergency messages and has a reachable contact point for."""
    for channel in channels:
        if wanted is not None and channel not in wanted:
            continue
        for point in points:
            if channel == "sms" and point.kind == "phone" and point.sms_capable:
                return channel, point
            if channel == "voice" and point.kind == "phone":
                return channel, point
            if channel == "email" and point.kind == "email":
                return channel, point
    return None


def _reachable(campaign: Campaign, people: Q) -> QuerySet[ContactPoint]:
    """The contact points of `people` (a filter on person_id) a campaign message can go to."""
    return ContactPoint.objects.filter(reachable_on(campaign.channels), people)


def _reachable_points(campaign: Campaign, people: Q) -> dict[int, list[Point]]:
    rows = (
        _reachable(campaign, people)
        .order_by("pk")
        .values_list("pk", "person_id", "kind", "value", "sms_capable")
    )
    points: dict[int, list[Point]] = defaultdict(list)
    for row in rows:
        points[row[1]].append(Point(*row))
    return points


def _preferences(people: Q) -> dict[int, list[str]]:
    return {pref.person_id: pref.channels() for pref in MessagePreference.objects.filter(people)}


def _office_phones() -> dict[int, str]:
    return dict(SchoolOffice.objects.values_list("school_id", "phone"))


def _context(channel: str, *, link_url: str, office_phone: str, deadline: str) -> dict:
    if channel == "voice":
        return {"office_phone": office_phone or conf.office_phone_default()}
    return {"link": link_url, "deadline": deadline}


def _template(channel: str, reminder: bool) -> str:
    if channel == "voice":
        return messages.VOICE
    return messages.REMINDER if reminder else messages.VERIFY


def _deadline(campaign: Campaign, tz: str) -> str:
    # An absolute local date, never "in 3 days" (families misread relative times).
    return campaign.closes_at.astimezone(ZoneInfo(tz)).date().isoformat()


def _link_expiry(campaign: Campaign) -> datetime:
    return campaign.closes_at + conf.link_ttl_after_close()


def _write_chunk(campaign: Campaign, person_ids: list[int]) -> int:
    """Recipients, links and first messages for these guardians (in the caller's transaction).
    Returns how many recipients were written.

    `person_ids` are the next guardians in id order, so the reads below select the id range
    they span rather than list a thousand ids: the range holds no other guardian in scope, and
    rows of other people in it are read but never used."""
    span = (person_ids[0], person_ids[-1])
    in_span = Q(person_id__gte=span[0], person_id__lte=span[1])
    people = dict(Person.objects.filter(pk__range=span).values_list("pk", "preferred_language"))
    children: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    links = (
        scope_guardianships(campaign)
        .filter(in_span)
        .order_by("student_id")
        .values_list("person_id", "student_id", "student__school_id", "student__school__timezone")
    )
    for person_id, student_id, school_id, tz in links:
        children[person_id].append((student_id, school_id, tz))
    points = _reachable_points(campaign, in_span)
    wanted = _preferences(in_span)
    offices = _office_phones()
    chosen: dict[int, tuple[str, Point] | None] = {
        person_id: choose_channel(
            points.get(person_id, []), campaign.channels, wanted.get(person_id)
        )
        for person_id in person_ids
        if person_id in children and person_id in people
    }
    # An address already carrying this campaign's message (an earlier chunk, or earlier here).
    owner_of = _owners_before(campaign, in_span, {c[1].value for c in chosen.values() if c})
    owners: list[dict] = []
    sharers: list[dict] = []
    seen_here: set[str] = set()
    # Guardians no longer in scope since the chunk was chosen have no entry in `chosen`.
    for person_id, choice in chosen.items():
        kids = children[person_id]
        row = _recipient_row(campaign, person_id, school_id=kids[0][1], children=len(kids))
        if choice is not None:
            row["channel"], point = choice
            row["contact_point_id"] = point.pk
            if point.value in owner_of or point.value in seen_here:
                sharers.append(row)
                continue
            seen_here.add(point.value)
        owners.append(row)
    with_link = [r["person_id"] for r in owners if r["channel"] in ("sms", "email")]
    issued = fanout.links_issue_many(
        person_ids=with_link, expires_at=_link_expiry(campaign), issued_by=f"campaign:{campaign.pk}"
    )
    for row in owners:
        if row["person_id"] in issued:
            row["link_id"] = issued[row["person_id"]].link_id
    bulk_insert(Recipient, owners)
    if sharers:
        owner_of.update(_owners_written(campaign, owners, chosen))
        for row in sharers:
            row["shared_with_id"] = owner_of[chosen[row["person_id"]][1].value]
        bulk_insert(Recipient, sharers)
    deadlines = {tz: _deadline(campaign, tz) for tz in {kids[0][2] for kids in children.values()}}
    deadline_of = {person_id: deadlines[kids[0][2]] for person_id, kids in children.items()}
    outgoing = [
        fanout.outgoing(
            campaign_id=campaign.pk,
            key=f"{r['person_id']}:0",
            channel=r["channel"],
            address=chosen[r["person_id"]][1].value,
            person_id=r["person_id"],
            contact_point_id=r["contact_point_id"],
            language=people[r["person_id"]],
            template_key=_template(r["channel"], reminder=False),
            context=_context(
                r["channel"],
                link_url=issued[r["person_id"]].url if r["person_id"] in issued else "",
                office_phone=offices.get(r["school_id"], ""),
                deadline=deadline_of[r["person_id"]],
            ),
        )
        for r in owners
        if r["channel"]
    ]
    fanout.messages_queue_many(messages=outgoing)
    return len(owners) + len(sharers)


def _recipient_row(campaign: Campaign, person_id: int, *, school_id: int, children: int) -> dict:
    """A new recipient's field values, on no channel yet; every other field takes its default
    (config.bulk.bulk_insert). One key order for every row of a chunk."""
    return {
        "campaign_id": campaign.pk,
        "person_id": person_id,
        "school_id": school_id,
        "children": children,
        "channel": "",
        "contact_point_id": None,
        "link_id": None,
        "shared_with_id": None,
    }


def _owners_before(campaign: Campaign, in_span: Q, addresses: set[str]) -> dict[str, int]:
    """{address: recipient id} for those of `addresses` (where this chunk's guardians are to be
    messaged) that a recipient written by an earlier chunk already carries the message to.

    Only a guardian outside this chunk's span of person ids can be such a recipient (spans do
    not overlap), so the adults outside it who hold one of these addresses are found first
    (the contact points' value index), and only their recipients are read (the (campaign,
    person) unique index). Each chunk's cost is its own however many recipients the campaign
    already has, and the plan does not hang on the statistics of a recipients table that is
    filling up while the fan-out runs."""
    listed = sorted(addresses)
    sharing: set[tuple[int, str]] = set()
    # A few hundred values at a time: PostgreSQL reads a short list through the value index, a
    # list of thousands by scanning every contact point.
    for start in range(0, len(listed), ADDRESS_BATCH):
        sharing.update(
            ContactPoint.objects.filter(value__in=listed[start : start + ADDRESS_BATCH])
            .exclude(in_span)
            .order_by()
            .values_list("person_id", "value")
        )
    if not sharing:
        return {}
    return dict(
        Recipient.objects.filter(
            campaign=campaign,
            person_id__in={person_id for person_id, _value in sharing},
            shared_with__isnull=True,
            contact_point__value__in={value for _person_id, value in sharing},
        ).values_list("contact_point__value", "pk")
    )


def _owners_written(
    campaign: Campaign, owners: list[dict], chosen: dict[int, tuple[str, Point] | None]
) -> dict[str, int]:
    """{address: recipient id} of the owners just written that carry a message."""
    carrying = [r["person_id"] for r in owners if r["contact_point_id"]]
    pk_of = dict(
        Recipient.objects.filter(campaign=campaign, person_id__in=carrying).values_list(
            "person_id", "pk"
        )
    )
    return {chosen[person_id][1].value: pk_of[person_id] for person_id in carrying}


def fanout_chunk(*, campaign_id: int) -> bool:
    """Write the next chunk of a launching campaign. Returns True while chunks remain. The
    campaign row is locked for the chunk; a paused or closed campaign writes nothing more. The
    last call marks the fan-out done and the campaign running."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.status != Campaign.Status.LAUNCHING:
            return False
        if campaign.opens_at > timezone.now():
            return False
        ids = list(
            campaign_guardians(campaign)
            .filter(pk__gt=campaign.fanout_cursor)
            .order_by("pk")
            .values_list("pk", flat=True)[: conf.chunk_size()]
        )
        if not ids:
            now = timezone.now()
            Campaign.objects.filter(pk=campaign.pk).update(
                status=Campaign.Status.RUNNING, fanout_done_at=now
            )
            audit_record(
                actor=SYSTEM_ACTOR,
                action="campaigns.campaign.fanned_out",
                obj=campaign,
                after={"recipients": campaign.recipients_written},
            )
            return False
        written = _write_chunk(campaign, ids)
        Campaign.objects.filter(pk=campaign.pk).update(
            fanout_cursor=ids[-1], recipients_written=F("recipients_written") + written
        )
    return True


def campaign_fanout(*, campaign_id: int) -> bool:
    """Write chunks until the fan-out is done or the time budget is spent. Returns True when
    chunks remain (the task then enqueues its successor)."""
    deadline = time.monotonic() + conf.fanout_budget_seconds()
    while fanout_chunk(campaign_id=campaign_id):
        if time.monotonic() > deadline:
            return True
    return False


# --- reminders ---------------------------------------------------------------------------------


def reminder_due(campaign: Campaign, now: datetime) -> int:
    """The number of the latest reminder whose day has come (0: none yet)."""
    return sum(
        1 for day in campaign.reminder_days if campaign.opens_at + timedelta(days=day) <= now
    )


def last_reminder_at(campaign: Campaign) -> datetime:
    if not campaign.reminder_days:
        return campaign.closes_at
    return campaign.opens_at + timedelta(days=max(campaign.reminder_days))


def schools_in_send_window(school_tzs: dict[int, str], now: datetime) -> list[int]:
    start, end = conf.quiet_hours()
    allowed = []
    for school_id, tz in school_tzs.items():
        local = now.astimezone(ZoneInfo(tz)).time()
        if start <= local < end:
            allowed.append(school_id)
    return allowed


def reminders_send(*, campaign_id: int, now: datetime | None = None) -> int:
    """Send the due reminder to every pending recipient of a running campaign whose school is
    inside its send window now. Returns how many reminders this call claimed.

    Safe to run any number of times at once: each (recipient, reminder number) row is inserted
    with ON CONFLICT DO NOTHING and claimed with a conditional UPDATE, inside the transaction that
    writes its message, so exactly one caller sends it (and the outbox key is unique too). A
    guardian whose contact points are all opted out or invalid now gets no message; the
    reminder is recorded as sent on no channel and they go on the call list."""
    now = now or timezone.now()
    campaign = Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.RUNNING).first()
    if campaign is None:
        return 0
    number = reminder_due(campaign, now)
    if number == 0 or now >= campaign.closes_at:
        return 0
    from contacts.models import School

    pending = Recipient.objects.filter(
        campaign=campaign,
        responded_at__isnull=True,
        shared_with__isnull=True,
        reminders_sent__lt=number,
    )
    tzs = dict(
        School.objects.filter(pk__in=pending.values("school_id")).values_list("pk", "timezone")
    )
    allowed = schools_in_send_window(tzs, now)
    if not allowed:
        return 0
    claimed_total = 0
    cursor = 0
    while True:
        ids = list(
            pending.filter(school_id__in=allowed, pk__gt=cursor)
            .order_by("pk")
            .values_list("pk", flat=True)[: conf.chunk_size()]
        )
        if not ids:
            return claimed_total
        cursor = ids[-1]
        claimed_total += _remind_chunk(campaign, ids, number, tzs)


def _remind_chunk(campaign: Campaign, ids: list[int], number: int, tzs: dict[int, str]) -> int:
    token = uuid.uuid4().hex
    with transaction.atomic():
        Reminder.objects.bulk_create(
            [Reminder(recipient_id=pk, number=number) for pk in ids],
            batch_size=500,
            ignore_conflicts=True,
        )
        Reminder.objects.filter(
            recipient_id__in=ids, number=number, claimed_at__isnull=True
        ).update(claimed_at=timezone.now(), claim=token)
        recipients = list(
            Recipient.objects.filter(reminders__claim=token).values_list(
                "pk", "person_id", "school_id", "person__preferred_language"
            )
        )
        if not recipients:
            return 0
        people = Q(person_id__in=[r[1] for r in recipients])
        points = _reachable_points(campaign, people)
        wanted = _preferences(people)
        offices = _office_phones()
        chosen = {
            pk: choose_channel(points.get(person_id, []), campaign.channels, wanted.get(person_id))
            for pk, person_id, _, _ in recipients
        }
        with_link = [person_id for pk, person_id, _, _ in recipients if _linked(chosen[pk])]
        issued = fanout.links_issue_many(
            person_ids=with_link,
            expires_at=_link_expiry(campaign),
            issued_by=f"campaign:{campaign.pk}:reminder:{number}",
        )
        outgoing = []
        for pk, person_id, school_id, language in recipients:
            choice = chosen[pk]
            if choice is None:
                continue
            channel, point = choice
            outgoing.append(
                fanout.outgoing(
                    campaign_id=campaign.pk,
                    key=f"{person_id}:{number}",
                    channel=channel,
                    address=point.value,
                    person_id=person_id,
                    contact_point_id=point.pk,
                    language=language,
                    template_key=_template(channel, reminder=True),
                    context=_context(
                        channel,
                        link_url=issued[person_id].url if person_id in issued else "",
                        office_phone=offices.get(school_id, ""),
                        deadline=_deadline(campaign, tzs.get(school_id, "UTC")),
                    ),
                )
            )
        fanout.messages_queue_many(messages=outgoing)
        person_of = {pk: person_id for pk, person_id, _, _ in recipients}
        rows = list(Reminder.objects.filter(claim=token).only("pk", "recipient_id"))
        for row in rows:
            choice = chosen[row.recipient_id]
            row.channel = choice[0] if choice else ""
            link = issued.get(person_of[row.recipient_id])
            row.link_id = link.link_id if link else None
        Reminder.objects.bulk_update(rows, ["channel", "link"], batch_size=500)
        Recipient.objects.filter(pk__in=[r[0] for r in recipients]).update(reminders_sent=number)
        audit_record(
            actor=SYSTEM_ACTOR,
            action="campaigns.reminder.sent",
            obj=campaign,
            after={"number": number, "recipients": len(recipients), "messages": len(outgoing)},
        )
    return len(recipients)


def _linked(choice) -> bool:
    return choice is not None and choice[0] in ("sms", "email")


def call_list_fill(*, campaign_id: int, now: datetime | None = None) -> int:
    """After the last reminder's day, put every guardian still silent who has had every reminder
    (or could not be messaged at all) on their school office's call list. Idempotent."""
    now = now or timezone.now()
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or campaign.status != Campaign.Status.RUNNING:
        return 0
    if now < last_reminder_at(campaign):
        return 0
    from django.db.models import Q

    count = len(campaign.reminder_days)
    return Recipient.objects.filter(
        Q(reminders_sent__gte=count) | Q(channel=""),
        campaign=campaign,
        responded_at__isnull=True,
        call_listed_at__isnull=True,
        shared_with__isnull=True,
    ).update(call_listed_at=now)
