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
What it adds is recorded with source "staff" (the district's own data), so a OneRoster import,
which manages only what the SIS gave, never removes it.
Each student's rows are checked together, so priorities may be swapped in one file; a bad row
is reported with file, line, column and reason and nothing of it is written.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, transaction

from privacy.errors import DomainError
from privacy.services import audit_record

from ..models import ContactPoint, Person, Student, StudentContact
from ..services import LINK_FIELDS, snapshot
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


def _match_person(row: Row, links: dict[int, StudentContact]) -> int | None:
    if row.adult_sis_id:
        return Person.objects.filter(sis_id=row.adult_sis_id).values_list("id", flat=True).first()
    first, last = row.first_name.lower(), row.last_name.lower()
    values = [p[1] for p in row.points]
    if values:
        for person in Person.objects.filter(contact_points__value__in=values).distinct():
            if person.first_name.lower() == first and person.last_name.lower() == last:
                return person.pk
    for link in links.values():
        if link.person.first_name.lower() == first and link.person.last_name.lower() == last:
            return link.person_id
    return None


def import_contacts(path: str | Path, *, progress: bool = False) -> ImportReport:
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
    for student_id, rows in groups.items():
        try:
            _import_student(student_id, rows, report)
        except IntegrityError:
            # A clash the checks above did not foresee: none of this student's rows is written.
            for row in rows:
                report.reject(
                    FILE,
                    row.line,
                    "emergency_priority",
                    "the priorities of this student's rows clash with each other",
                )
    return report


@transaction.atomic
def _import_student(student_id: int, rows: list[Row], report: ImportReport) -> None:
    """Apply one student's rows: decide the final priorities first, reject the rows that would
    clash, then write. Locks the student so a concurrent edit cannot interleave."""
    Student.objects.select_for_update().filter(pk=student_id).first()
    links = {
        link.person_id: link
        for link in StudentContact.objects.filter(student_id=student_id).select_related("person")
    }
    accepted: list[Row] = []
    seen_people: set[int] = set()
    for row in rows:
        row.person_id = _match_person(row, links)
        if row.person_id is not None and row.person_id in seen_people:
            report.reject(
                FILE, row.line, "first_name", "this adult is listed twice for the student"
            )
            continue
        if row.person_id is not None:
            seen_people.add(row.person_id)
        accepted.append(row)
    # Final priority of every adult of the student after this file, rows overriding the database.
    final: dict[object, int | None] = {pid: link.emergency_priority for pid, link in links.items()}
    owners: dict[int, object] = {}
    good: list[Row] = []
    for index, row in enumerate(accepted):
        key = row.person_id if row.person_id is not None else f"new{index}"
        priority = row.link.get("emergency_priority", final.get(key))
        pickup = row.link.get(
            "pickup_status",
            links[row.person_id].pickup_status if row.person_id in links else "not_allowed",
        )
        if pickup == "prohibited" and priority:
            report.reject(
                FILE,
                row.line,
                "pickup_status",
                "an adult who is prohibited from pickup cannot be an emergency contact",
            )
            continue
        good.append(row)
        final[key] = priority
    for key, priority in final.items():
        if priority:
            owners.setdefault(priority, key)
    for row in list(good):
        key = row.person_id if row.person_id is not None else f"new{accepted.index(row)}"
        priority = final.get(key)
        if priority and owners.get(priority) != key:
            other = owners[priority]
            name = (
                links[other].person.display_name if other in links else "another adult in this file"
            )
            report.reject(
                FILE,
                row.line,
                "emergency_priority",
                f"priority {priority} already belongs to {name}",
            )
            good.remove(row)
            # This row keeps what the database has, if anything.
            final[key] = links[row.person_id].emergency_priority if row.person_id in links else None
    # Clear the priorities that change, then write: the unique constraint holds at every step.
    changing = [
        links[r.person_id].pk
        for r in good
        if r.person_id in links
        and "emergency_priority" in r.link
        and links[r.person_id].emergency_priority != r.link["emergency_priority"]
    ]
    StudentContact.objects.filter(pk__in=changing).update(emergency_priority=None)
    for row in good:
        _write_row(student_id, row, links, report)


def _write_row(
    student_id: int, row: Row, links: dict[int, StudentContact], report: ImportReport
) -> None:
    if row.person_id is None:
        person = Person.objects.create(
            first_name=row.first_name,
            last_name=row.last_name,
            preferred_language=row.language or "en",
            sis_id=row.adult_sis_id,
        )
        audit_record(
            actor=ACTOR,
            action="contacts.person.created",
            obj=person,
            after={"first_name": person.first_name, "last_name": person.last_name},
        )
        report.add("people created")
    else:
        person = Person.objects.get(pk=row.person_id)
        changes = {"first_name": row.first_name, "last_name": row.last_name}
        if row.language:
            changes["preferred_language"] = row.language
        before = {k: getattr(person, k) for k in changes}
        if before != changes:
            for k, v in changes.items():
                setattr(person, k, v)
            person.save()
            audit_record(
                actor=ACTOR,
                action="contacts.person.updated",
                obj=person,
                before=before,
                after=changes,
            )
            report.add("people updated")
    have = set(ContactPoint.objects.filter(person=person).values_list("kind", "value"))
    for kind, value, label, sms in row.points:
        if (kind, value) not in have:
            point = ContactPoint.objects.create(
                person=person, kind=kind, value=value, label=label, sms_capable=sms, source="staff"
            )
            audit_record(
                actor=ACTOR,
                action="contacts.contact_point.added",
                obj=point,
                after={"kind": kind, "label": label, "person": person.pk},
            )
            report.add("contact points created")
    link = links.get(person.pk)
    if link is None:
        values = {
            "legal_guardian": False,
            "lives_with": False,
            "pickup_status": "not_allowed",
            "receives_notifications": True,
            "emergency_priority": None,
            **row.link,
        }
        link = StudentContact.objects.create(
            student_id=student_id, person=person, source="staff", **values
        )
        audit_record(
            actor=ACTOR,
            action="contacts.student_contact.added",
            obj=link,
            after=snapshot(link, LINK_FIELDS),
        )
        report.add("links created")
        return
    before = snapshot(link, LINK_FIELDS)
    link.refresh_from_db()
    for name, value in row.link.items():
        setattr(link, name, value)
    after = snapshot(link, LINK_FIELDS)
    if after != before:
        link.save()
        audit_record(
            actor=ACTOR,
            action="contacts.student_contact.updated",
            obj=link,
            before=before,
            after=after,
        )
        report.add("links updated")
