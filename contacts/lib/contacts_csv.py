"""Import the district's contacts CSV: one row per student–adult relation, carrying what
OneRoster cannot (pickup permissions, custody, emergency order, extra adults).

Columns (header required, order free; see README "Contacts CSV"):
  student_sis_id*, adult_sis_id, first_name*, last_name*, relationship*, legal_guardian,
  lives_with, emergency_priority, pickup_status, language, mobile_phone, home_phone,
  work_phone, email, receives_notifications
Booleans are yes/no (also true/false, 1/0, y/n). An empty cell leaves an existing value as it
is and takes the default for a new relation.

The adult is found by `adult_sis_id`, else by name together with a phone or email already on
file, else by name among the student's adults; otherwise a new adult is created. Idempotent.
A row whose `adult_sis_id` names an adult with another first name *and* another last name is
refused (an id from another system, a typo), unless the run says renames are expected
(`allow_renames`); every rename that is made is listed in the report.
What it adds is recorded with source "staff" (the district's own data), so a OneRoster import,
which manages only what the SIS gave, never removes it.
Each student's rows are checked together, so priorities may be swapped in one file; a bad row
is reported with file, line, column and reason and nothing of it is written.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from config.bulk import bulk_update_objects
from privacy.errors import DomainError
from privacy.services import audit_bulk, audit_record

from ..models import ContactPoint, Person, Student, StudentContact
from ..services import LINK_FIELDS, jsonable
from .csvsource import ImportReport, read_rows
from .phones import normalize_email, normalize_phone

ACTOR = "import:contacts"
FILE = "contacts.csv"
REQUIRED = ("student_sis_id", "first_name", "last_name", "relationship")
COLUMNS = (
    "student_sis_id",
    "adult_sis_id",
    "first_name",
    "last_name",
    "relationship",
    "legal_guardian",
    "lives_with",
    "emergency_priority",
    "pickup_status",
    "language",
    "mobile_phone",
    "home_phone",
    "work_phone",
    "email",
    "receives_notifications",
)
TRUE = {"yes", "y", "true", "1", "si", "sí"}
FALSE = {"no", "n", "false", "0"}


@dataclass
class Row:
    line: int
    student_id: int
    adult_sis_id: str | None
    first_name: str
    last_name: str
    language: str | None
    link: dict  # only the link fields this row sets
    points: list[tuple[str, str, str, bool]] = field(default_factory=list)
    person_id: int | None = None


class RowRejected(Exception):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column, self.reason = column, reason


def _bool(row: dict, column: str) -> bool | None:
    value = row.get(column, "").lower()
    if not value:
        return None
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise RowRejected(column, f"'{row[column]}' is not yes or no")


def _parse(line: int, row: dict, students: dict[str, int]) -> Row:
    student_id = students.get(row["student_sis_id"])
    if student_id is None:
        raise RowRejected("student_sis_id", f"unknown student '{row['student_sis_id']}'")
    for column in ("first_name", "last_name"):
        if not row[column]:
            raise RowRejected(column, f"{column} is empty")
        if len(row[column]) > 100:
            raise RowRejected(column, f"{column} is longer than 100 characters")
    link: dict = {}
    relationship = row["relationship"].lower()
    if relationship not in StudentContact.Relationship.values:
        raise RowRejected(
            "relationship",
            f"'{row['relationship']}' is not one of {', '.join(StudentContact.Relationship.values)}",
        )
    link["relationship"] = relationship
    for column in ("legal_guardian", "lives_with", "receives_notifications"):
        value = _bool(row, column)
        if value is not None:
            link[column] = value
    if row.get("emergency_priority"):
        try:
            priority = int(row["emergency_priority"])
        except ValueError:
            priority = 0
        if not 1 <= priority <= 99:
            raise RowRejected(
                "emergency_priority",
                f"'{row['emergency_priority']}' is not a whole number from 1 to 99",
            )
        link["emergency_priority"] = priority
    elif "emergency_priority" in row:
        link["emergency_priority"] = None
    if row.get("pickup_status"):
        pickup = row["pickup_status"].lower()
        if pickup not in StudentContact.Pickup.values:
            raise RowRejected(
                "pickup_status",
                f"'{row['pickup_status']}' is not one of {', '.join(StudentContact.Pickup.values)}",
            )
        link["pickup_status"] = pickup
    if link.get("pickup_status") == "prohibited" and link.get("emergency_priority"):
        raise RowRejected(
            "emergency_priority",
            "an adult who is prohibited from pickup cannot be an emergency contact",
        )
    language = row.get("language") or None
    if language and (len(language) > 16 or not language.split("-")[0].isalpha()):
        raise RowRejected("language", f"'{language}' is not a language tag such as 'es' or 'vi'")
    points = []
    try:
        for column, label, sms in (
            ("mobile_phone", "mobile", True),
            ("home_phone", "home", False),
            ("work_phone", "work", False),
        ):
            if row.get(column):
                value = normalize_phone(row[column], field=column)
                if all(p[1] != value for p in points):
                    points.append(("phone", value, label, sms))
        if row.get("email"):
            points.append(("email", normalize_email(row["email"], field="email"), "other", False))
    except DomainError as exc:
        raise RowRejected(exc.field or "", exc.message.split(": ", 1)[-1]) from exc
    return Row(
        line,
        student_id,
        row.get("adult_sis_id") or None,
        row["first_name"],
        row["last_name"],
        language,
        link,
        points,
    )


BATCH = 5000
LINK_DEFAULTS = {
    "legal_guardian": False,
    "lives_with": False,
    "pickup_status": "not_allowed",
    "receives_notifications": True,
    "emergency_priority": None,
}


@dataclass
class LinkState:
    pk: int
    person_id: int
    name: str
    values: dict


def _chunks(items: list, size: int = 900):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ContactsImport:
    """Set-based: everything the file needs is read in a few queries, every row is decided in
    memory, and the writes happen in bulk in one transaction."""

    def __init__(self, report: ImportReport, *, allow_renames: bool = False) -> None:
        self.report = report
        self.allow_renames = allow_renames
        self.new_people: dict[tuple, Row] = {}  # key -> first row that creates the adult

    def load(self, groups: dict[int, list[Row]]) -> None:
        student_ids = list(groups)
        self.links: dict[int, dict[int, LinkState]] = defaultdict(dict)
        fields = (
            "id",
            "student_id",
            "person_id",
            "person__first_name",
            "person__last_name",
            *LINK_FIELDS,
        )
        for ids in _chunks(student_ids):
            for row in StudentContact.objects.filter(student_id__in=ids).values_list(*fields):
                pk, student_id, person_id, first, last, *values = row
                self.links[student_id][person_id] = LinkState(
                    pk, person_id, f"{first} {last}", dict(zip(LINK_FIELDS, values, strict=True))
                )
        rows = [r for rs in groups.values() for r in rs]
        sis_ids = sorted({r.adult_sis_id for r in rows if r.adult_sis_id})
        self.people_by_sis: dict[str, int] = {}
        for ids in _chunks(sis_ids):
            self.people_by_sis.update(
                Person.objects.filter(sis_id__in=ids).values_list("sis_id", "id")
            )
        values = sorted({p[1] for r in rows for p in r.points})
        self.owners_of_value: dict[str, set[int]] = defaultdict(set)
        for chunk in _chunks(values):
            for value, person_id in ContactPoint.objects.filter(value__in=chunk).values_list(
                "value", "person_id"
            ):
                self.owners_of_value[value].add(person_id)
        person_ids = {pid for vs in self.owners_of_value.values() for pid in vs}
        person_ids |= set(self.people_by_sis.values())
        person_ids |= {pid for links in self.links.values() for pid in links}
        self.people: dict[int, tuple[str, str, str]] = {}
        self.points: dict[int, set[tuple[str, str]]] = defaultdict(set)
        for ids in _chunks(sorted(person_ids)):
            for pid, first, last, lang in Person.objects.filter(pk__in=ids).values_list(
                "id", "first_name", "last_name", "preferred_language"
            ):
                self.people[pid] = (first, last, lang)
            for pid, kind, value in ContactPoint.objects.filter(person_id__in=ids).values_list(
                "person_id", "kind", "value"
            ):
                self.points[pid].add((kind, value))

    def match(self, row: Row) -> object:
        """An existing person's id, or a key naming a new adult (shared by the rows that name
        the same new adult for several siblings)."""
        first, last = row.first_name.lower(), row.last_name.lower()
        if row.adult_sis_id:
            pid = self.people_by_sis.get(row.adult_sis_id)
            return pid if pid is not None else ("sis", row.adult_sis_id)
        for kind_value in row.points:
            for pid in sorted(self.owners_of_value.get(kind_value[1], ())):
                name = self.people.get(pid)
                if name and name[0].lower() == first and name[1].lower() == last:
                    return pid
        for link in self.links.get(row.student_id, {}).values():
            name = self.people.get(link.person_id)
            if name and name[0].lower() == first and name[1].lower() == last:
                return link.person_id
        values = tuple(sorted(p[1] for p in row.points))
        for value in values:
            key = ("new", first, last, value)
            if key in self.new_people:
                return key
        if values:
            return ("new", first, last, values[0])
        # No phone or email to tell them apart: the same name among siblings (students sharing a
        # legal guardian) is the same adult, the grandmother of three is one person.
        return ("new", first, last, "family", self.family_of(row.student_id) or f"line{row.line}")

    def family_of(self, student_id: int) -> int | None:
        guardians = [
            pid
            for pid, link in self.links.get(student_id, {}).items()
            if link.values["legal_guardian"]
        ]
        return min(guardians) if guardians else None

    def decide(self, student_id: int, rows: list[Row]) -> list[tuple[Row, object]]:
        """Which of one student's rows can be applied: every priority unique at the end."""
        links = self.links.get(student_id, {})
        accepted: list[tuple[Row, object]] = []
        seen: set = set()
        for row in rows:
            key = self.match(row)
            if key in seen:
                self.report.reject(
                    FILE, row.line, "first_name", "this adult is listed twice for the student"
                )
                continue
            seen.add(key)
            if self._unexpected_rename(row, key):
                continue
            current = links[key].values if isinstance(key, int) and key in links else LINK_DEFAULTS
            pickup = row.link.get("pickup_status", current["pickup_status"])
            priority = row.link.get("emergency_priority", current["emergency_priority"])
            if pickup == "prohibited" and priority:
                self.report.reject(
                    FILE,
                    row.line,
                    "pickup_status",
                    "an adult who is prohibited from pickup cannot be an emergency contact",
                )
                continue
            accepted.append((row, key))
        # Priorities: an adult the file does not change keeps theirs; between two rows of the
        # file, the first wins. A rejected row leaves its adult as the database has them, which
        # may in turn take a priority another row wanted, so repeat until nothing moves.
        wanted = {
            key: row.link.get("emergency_priority", _current(links, key)) for row, key in accepted
        }
        good = list(accepted)
        while True:
            applied = {key for _, key in good}
            kept = {
                link.values["emergency_priority"]: pid
                for pid, link in links.items()
                if pid not in applied and link.values["emergency_priority"]
            }
            claimed: dict[int, object] = {}
            still_good, moved = [], False
            for row, key in good:
                priority = wanted[key]
                if priority and (priority in kept or priority in claimed):
                    holder = kept.get(priority, claimed.get(priority))
                    name = links[holder].name if holder in links else "another adult in this file"
                    self.report.reject(
                        FILE,
                        row.line,
                        "emergency_priority",
                        f"priority {priority} already belongs to {name}",
                    )
                    moved = True
                    continue
                if priority:
                    claimed[priority] = key
                still_good.append((row, key))
            good = still_good
            if not moved:
                return good

    def _unexpected_rename(self, row: Row, key: object) -> bool:
        """Refuse (and report) a row whose SIS id names an adult with another first and last
        name, unless renames are allowed: "Mei Martin" silently becoming "Jose Lopez" is an id
        that collides, far more often than a person who changed both names."""
        if self.allow_renames or not isinstance(key, int) or not row.adult_sis_id:
            return False
        first, last, _ = self.people[key]
        if first.casefold() == row.first_name.casefold() or (
            last.casefold() == row.last_name.casefold()
        ):
            return False
        self.report.reject(
            FILE,
            row.line,
            "adult_sis_id",
            f"SIS id '{row.adult_sis_id}' belongs to {first} {last}, not {row.first_name} "
            f"{row.last_name}; if the adult was renamed, run with --allow-renames",
        )
        return True

    @transaction.atomic
    def write(self, decided: dict[int, list[tuple[Row, object]]]) -> None:
        # 1. New adults.
        new_rows: dict[object, Row] = {}
        for rows in decided.values():
            for row, key in rows:
                if not isinstance(key, int):
                    new_rows.setdefault(key, row)
        created = Person.objects.bulk_create(
            [
                Person(
                    first_name=r.first_name,
                    last_name=r.last_name,
                    preferred_language=r.language or "en",
                    sis_id=r.adult_sis_id,
                )
                for r in new_rows.values()
            ],
            batch_size=BATCH,
        )
        ids = {key: person.pk for key, person in zip(new_rows, created, strict=True)}
        if any(pk is None for pk in ids.values()):  # a database that does not return ids
            raise RuntimeError("bulk_create did not return primary keys")
        self.report.add("people created", len(created))
        # 2. Names and languages of existing adults, then their contact points.
        person_updates: dict[int, Person] = {}
        audit = []
        new_points: list[ContactPoint] = []
        for rows in decided.values():
            for row, key in rows:
                pid = key if isinstance(key, int) else ids[key]
                if isinstance(key, int) and pid not in person_updates:
                    first, last, lang = self.people[pid]
                    wanted = (row.first_name, row.last_name, row.language or lang)
                    if wanted[:2] != (first, last):
                        sis = f" ({row.adult_sis_id})" if row.adult_sis_id else ""
                        self.report.note(
                            f"renamed: {FILE}:{row.line} adult {pid}{sis} "
                            f"'{first} {last}' -> '{wanted[0]} {wanted[1]}'"
                        )
                    if wanted != (first, last, lang):
                        person_updates[pid] = Person(
                            pk=pid,
                            first_name=wanted[0],
                            last_name=wanted[1],
                            preferred_language=wanted[2],
                        )
                        audit.append(
                            (
                                str(pid),
                                {
                                    "first_name": first,
                                    "last_name": last,
                                    "preferred_language": lang,
                                },
                                {
                                    "first_name": wanted[0],
                                    "last_name": wanted[1],
                                    "preferred_language": wanted[2],
                                },
                            )
                        )
                for kind, value, label, sms in row.points:
                    if (kind, value) not in self.points[pid]:
                        self.points[pid].add((kind, value))
                        new_points.append(
                            ContactPoint(
                                person_id=pid,
                                kind=kind,
                                value=value,
                                label=label,
                                sms_capable=sms,
                                source="staff",
                            )
                        )
        bulk_update_objects(
            Person,
            list(person_updates.values()),
            ["first_name", "last_name", "preferred_language"],
        )
        audit_bulk(
            actor=ACTOR, action="contacts.person.updated", label="contacts.person", rows=audit
        )
        ContactPoint.objects.bulk_create(new_points, batch_size=BATCH)
        self.report.add("people updated", len(person_updates))
        self.report.add("contact points created", len(new_points))
        # 3. Links: clear the priorities that change, then update and create.
        changing, updates, creates, audit_updates = [], [], [], []
        for student_id, rows in decided.items():
            links = self.links.get(student_id, {})
            for row, key in rows:
                pid = key if isinstance(key, int) else ids[key]
                link = links.get(pid)
                if link is None:
                    creates.append(
                        StudentContact(
                            student_id=student_id,
                            person_id=pid,
                            source="staff",
                            **{**LINK_DEFAULTS, **row.link},
                        )
                    )
                    continue
                after = {**link.values, **row.link}
                if after != link.values:
                    if after["emergency_priority"] != link.values["emergency_priority"]:
                        changing.append(link.pk)
                    updates.append(StudentContact(pk=link.pk, **after))
                    audit_updates.append((str(link.pk), jsonable(link.values), jsonable(after)))
        for chunk in _chunks(changing):
            StudentContact.objects.filter(pk__in=chunk).update(emergency_priority=None)
        bulk_update_objects(StudentContact, updates, list(LINK_FIELDS))
        StudentContact.objects.bulk_create(creates, batch_size=BATCH)
        audit_bulk(
            actor=ACTOR,
            action="contacts.student_contact.updated",
            label="contacts.studentcontact",
            rows=audit_updates,
        )
        self.report.add("links updated", len(updates))
        self.report.add("links created", len(creates))
        audit_record(
            actor=ACTOR,
            action="contacts.import.contacts",
            object_type="contacts.import",
            object_id="contacts",
            after=dict(self.report.counts),
        )


def _current(links: dict[int, LinkState], key: object) -> int | None:
    link = links.get(key) if isinstance(key, int) else None
    return link.values["emergency_priority"] if link else None


def import_contacts(
    path: str | Path, *, allow_renames: bool = False, progress: bool = False
) -> ImportReport:
    """Import the file. Raises nothing for bad rows: they are in the report. `allow_renames`:
    a row may rename the adult its `adult_sis_id` names (see the module's docstring)."""
    report = ImportReport()
    text = Path(path).read_text(encoding="utf-8-sig")
    students = dict(Student.objects.values_list("sis_id", "id"))
    groups: dict[int, list[Row]] = defaultdict(list)
    for line, raw in read_rows(text, FILE, report, required=REQUIRED, progress=progress):
        try:
            parsed = _parse(line, raw, students)
        except RowRejected as exc:
            report.reject(FILE, line, exc.column, exc.reason)
            continue
        groups[parsed.student_id].append(parsed)
    job = ContactsImport(report, allow_renames=allow_renames)
    job.load(groups)
    decided = {student_id: job.decide(student_id, rows) for student_id, rows in groups.items()}
    job.write(decided)
    return report
