"""What a signed-in guardian may see, and what a staff member sees in the review queue.

A guardian sees the active students they are a legal guardian of (siblings in every school),
and each student's contacts in priority order. An adult whose pickup is prohibited is never
shown in the portal, to anyone. `get_<entity>_for` and `household_child_of` raise Http404 for
anything else.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter

from django.db import DEFAULT_DB_ALIAS
from django.db.models import F, FilteredRelation, Prefetch, Q, QuerySet
from django.db.models.functions import Now
from django.http import Http404

from contacts.lib.compiled import CompiledQuery
from contacts.models import ContactPoint, Person, Student, StudentContact
from contacts.selectors import students_visible_to
from privacy.roles import can_edit_contacts

from .lib import keyed_hash
from .models import MessagePreference, PortalSession, PreparednessPlan

PROHIBITED = StudentContact.Pickup.PROHIBITED
NOT_BARRED = tuple(status for status in StudentContact.Pickup if status != PROHIBITED)


def _through_guardian_link(path: str = "") -> Q:
    """The relation (at `path`, a StudentContact) that lets its person see the child in the
    portal: a legal guardian's, not barred. Stated without a negation so that it applies to the
    very link it sits beside in one filter() even across a multi-valued relation (a negated
    condition there would become a subquery about any of the child's links)."""
    prefix = f"{path}__" if path else ""
    return Q(**{f"{prefix}legal_guardian": True, f"{prefix}pickup_status__in": NOT_BARRED})


def _children_of(guardian_id: int) -> QuerySet:
    """The ids of the students this person is a legal guardian of (not barred from them)."""
    return StudentContact.objects.filter(_through_guardian_link(), person_id=guardian_id).values(
        "student_id"
    )


def active_children_of(guardian_id: int) -> QuerySet[Student]:
    """The guardian's active children (siblings in every school), by name, without prefetching."""
    return Student.objects.filter(active=True, pk__in=_children_of(guardian_id)).order_by(
        "last_name", "first_name", "id"
    )


def household_students(guardian: Person) -> QuerySet[Student]:
    """The guardian's children, each with `contacts` prefetched (prohibited adults left out)."""
    visible_links = (
        StudentContact.objects.exclude(pickup_status=PROHIBITED)
        .select_related("person")
        .prefetch_related("person__contact_points")
    )
    return (
        active_children_of(guardian.pk)
        .select_related("school")
        .prefetch_related(Prefetch("contacts", queryset=visible_links))
    )


@dataclass(frozen=True)
class HouseholdContact:
    link_id: int
    person_id: int
    name: str
    relationship: str
    legal_guardian: bool
    emergency_priority: int | None
    pickup_status: str
    phones: tuple[str, ...]


@dataclass(frozen=True)
class HouseholdChild:
    pk: int
    display_name: str
    school_name: str
    grade: str
    contacts: tuple[HouseholdContact, ...]


_LINK_COLUMNS = (
    "student_id",
    "student__first_name",
    "student__preferred_name",
    "student__last_name",
    "student__grade",
    "student__school__name",
    "id",
    "person_id",
    "person__first_name",
    "person__last_name",
    "relationship",
    "legal_guardian",
    "emergency_priority",
    "pickup_status",
    "phone__value",
)


def _in_call_order(links: QuerySet) -> QuerySet:
    """One row per contact of each child and phone of that contact (a contact without a phone
    gives one row with None), children by name, contacts in call order; prohibited adults left
    out."""
    return (
        links.exclude(pickup_status=PROHIBITED)
        .annotate(
            phone=FilteredRelation(
                "person__contact_points",
                condition=Q(person__contact_points__kind=ContactPoint.Kind.PHONE),
            )
        )
        .order_by(
            "student__last_name",
            "student__first_name",
            "student_id",
            F("emergency_priority").asc(nulls_last=True),
            "id",
            "phone__id",
        )
    )


def _household_links(guardian_id: int) -> QuerySet:
    return _in_call_order(
        StudentContact.objects.filter(student__in=_children_of(guardian_id), student__active=True)
    ).values_list(*_LINK_COLUMNS)


# What every signed-in page reads of its portal session and guardian; other fields load when
# first used. No timestamps: psycopg parses each one in Python, and the household page's rows
# repeat these on every row. Whether the session has expired is the database's to say.
_SESSION_FIELDS = ["id", "person_id"]
_PERSON_FIELDS = ["id", "first_name", "last_name", "preferred_language"]
_SESSION = "student__contacts__person__portal_sessions"


def _live(path: str = "") -> Q:
    """A portal session (at `path`) that is neither revoked nor expired."""
    prefix = f"{path}__" if path else ""
    return Q(**{f"{prefix}revoked_at__isnull": True, f"{prefix}expires_at__gt": Now()})


def _household_links_of_session(key_hash: str) -> QuerySet:
    """The household rows of the guardian whose live session has this key, each followed by the
    session's and the guardian's fields: the page and who is signed in, in one statement.

    The child's guardian link, that guardian and the session are joined in one filter(), so they
    are the same link and person on every row (a key is unique: one session, one guardian)."""
    links = StudentContact.objects.filter(
        _through_guardian_link("student__contacts"),
        _live(_SESSION),
        **{f"{_SESSION}__key_hash": key_hash},
        student__active=True,
    )
    return _in_call_order(links).values_list(
        *_LINK_COLUMNS,
        *(f"{_SESSION}__{name}" for name in _SESSION_FIELDS),
        *(f"student__contacts__person__{name}" for name in _PERSON_FIELDS),
    )


# The busiest pages' queries, compiled once per process (contacts/lib/compiled.py).
_GUARDIAN = -7_340_917_263  # stands in for the guardian's id while compiling
_HOUSEHOLD_IDS = CompiledQuery(
    lambda guardian_id: active_children_of(guardian_id).values_list("pk"), guardian_id=_GUARDIAN
)
_HOUSEHOLD_LINKS = CompiledQuery(_household_links, guardian_id=_GUARDIAN)
SESSION_KEY_MARKER = "compiled-query-marker:portal-session-key"  # stands in for a key's hash


def live_session_row(key_hash: str) -> QuerySet:
    """The live session with this key's hash, as one row of its and its guardian's fields
    (`session_from_row` makes the session of it); no row when unknown, expired or revoked."""
    return PortalSession.objects.filter(_live(), key_hash=key_hash).values_list(
        *_SESSION_FIELDS, *(f"person__{name}" for name in _PERSON_FIELDS)
    )


_LIVE_SESSION = CompiledQuery(live_session_row, key_hash=SESSION_KEY_MARKER)
_HOUSEHOLD_OF_SESSION = CompiledQuery(_household_links_of_session, key_hash=SESSION_KEY_MARKER)


def session_from_row(values: Sequence) -> PortalSession:
    """The session, with its person, from a row's session and person fields (in that order, as
    `live_session_row` reads them). The fields not read load on first use, as with only()."""
    split = len(_SESSION_FIELDS)
    session = PortalSession.from_db(DEFAULT_DB_ALIAS, _SESSION_FIELDS, values[:split])
    session.person = Person.from_db(DEFAULT_DB_ALIAS, _PERSON_FIELDS, values[split:])
    return session


def portal_session_get(key: str | None) -> PortalSession | None:
    """The live session for a key, with its person; None when unknown, expired (by the
    database's clock) or revoked."""
    if not key:
        return None
    rows = _LIVE_SESSION.rows(key_hash=keyed_hash("session", key))
    return session_from_row(rows[0]) if rows else None


class Household:
    """The guardian's children as the household page shows them (an iterable of HouseholdChild),
    kept as the rows the database returned (`_LINK_COLUMNS`) and made into children on first use.

    Its repr() is the rows': the children are made from nothing else, so the rows are all the
    page cache's digest needs, and a page served from the cache never makes the children."""

    __slots__ = ("_children", "rows")

    def __init__(self, rows: tuple[tuple, ...]):
        self.rows = rows
        self._children: tuple[HouseholdChild, ...] | None = None

    @property
    def children(self) -> tuple[HouseholdChild, ...]:
        if self._children is None:
            self._children = _household_from(self.rows)
        return self._children

    def __iter__(self):
        return iter(self.children)

    def __bool__(self) -> bool:
        return bool(self.rows)  # every row is one of a child's

    def __repr__(self) -> str:
        return repr(self.rows)


def household_with_session(key: str | None) -> tuple[PortalSession | None, Household]:
    """(the live session for a key, with its person; what its guardian's household page shows),
    read together in one statement: the page guardians open most pays one round trip, not two.
    (None, an empty Household) when the key is unknown, expired or revoked, as
    portal_session_get() says."""
    if not key:
        return None, Household(())
    rows = _HOUSEHOLD_OF_SESSION.rows(key_hash=keyed_hash("session", key))
    if not rows:
        # No live session with this key, or a guardian with no active child: only the plain
        # lookup can tell the two apart.
        return portal_session_get(key), Household(())
    split = len(_LINK_COLUMNS)
    return session_from_row(rows[0][split:]), Household(tuple(row[:split] for row in rows))


def household_of(guardian: Person) -> tuple[HouseholdChild, ...]:
    """What the household page shows, as plain values, in one query: the guardian's children
    (siblings in every school) with their contacts in call order and those adults' phones.

    Plain frozen values, so the page can be cached under a digest of exactly what it shows."""
    return _household_from(_HOUSEHOLD_LINKS.rows(guardian_id=guardian.pk))


def _household_from(rows: list[tuple]) -> tuple[HouseholdChild, ...]:
    """The children from the household rows (`_LINK_COLUMNS` first, in that order)."""

    def contact(link_rows: list[tuple]) -> HouseholdContact:
        link_id, person_id, first, last, relationship, legal, priority, pickup = link_rows[0][6:14]
        return HouseholdContact(
            link_id=link_id,
            person_id=person_id,
            name=f"{first} {last}",
            relationship=relationship,
            legal_guardian=legal,
            emergency_priority=priority,
            pickup_status=pickup,
            phones=tuple(row[14] for row in link_rows if row[14] is not None),
        )

    children = []
    for student_id, student_rows in groupby(rows, key=itemgetter(0)):
        student_rows = list(student_rows)
        first, preferred, last, grade, school = student_rows[0][1:6]
        links = groupby(student_rows, key=itemgetter(6))
        children.append(
            HouseholdChild(
                pk=student_id,
                display_name=f"{preferred or first} {last}",
                school_name=school,
                grade=grade,
                contacts=tuple(contact(list(link_rows)) for _, link_rows in links),
            )
        )
    return tuple(children)


def household_child_of(guardian: Person, pk) -> HouseholdChild:
    """One child's card on the household page (htmx swaps it in after a change)."""
    for child in household_of(guardian):
        if str(child.pk) == str(pk):
            return child
    raise Http404


def household_student_ids(guardian: Person) -> list[int]:
    return [pk for (pk,) in _HOUSEHOLD_IDS.rows(guardian_id=guardian.pk)]


def get_link_for(guardian: Person, pk) -> StudentContact:
    """A contact relation of one of the guardian's children that the portal may change: not a
    legal guardian's (custody is the school's record) and never a prohibited adult's."""
    try:
        return (
            StudentContact.objects.filter(
                student_id__in=household_student_ids(guardian), legal_guardian=False
            )
            .exclude(pickup_status=PROHIBITED)
            .select_related("student", "person")
            .get(pk=pk)
        )
    except (StudentContact.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def get_own_contact_point_for(guardian: Person, pk) -> ContactPoint:
    try:
        return ContactPoint.objects.select_related("person").get(pk=pk, person=guardian)
    except (ContactPoint.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def own_contact_points(guardian: Person) -> QuerySet[ContactPoint]:
    return ContactPoint.objects.filter(person=guardian).order_by("kind", "id")


def preference_of(guardian: Person) -> MessagePreference:
    """The saved preference, or the default (unsaved) one."""
    return MessagePreference.objects.filter(person=guardian).first() or MessagePreference(
        person=guardian
    )


def plan_of(guardian: Person) -> PreparednessPlan:
    return PreparednessPlan.objects.filter(guardian=guardian).select_related(
        "standby_caregiver"
    ).first() or PreparednessPlan(guardian=guardian)


def pending_pickups_visible_to(actor) -> QuerySet[StudentContact]:
    """The review queue: pickup adults added in the portal awaiting a decision, in the schools
    the staff member may edit contacts for."""
    if not can_edit_contacts(actor):
        return StudentContact.objects.none()
    return (
        StudentContact.objects.filter(
            pickup_status=StudentContact.Pickup.PENDING,
            student__in=students_visible_to(actor).values("pk"),
        )
        .select_related("student", "student__school", "person")
        .prefetch_related("person__contact_points")
        .order_by("updated_at", "id")
    )


def get_pending_pickup_for(actor, pk) -> StudentContact:
    try:
        return pending_pickups_visible_to(actor).get(pk=pk)
    except (StudentContact.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
