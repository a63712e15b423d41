"""Import a OneRoster 1.1 CSV bulk export (a folder or a zip): orgs.csv, users.csv and
enrollments.csv at least.

- Schools are the orgs of type "school"; their code is the org's `identifier`.
- Students are users with role "student"; their SIS id is `identifier` (the student number), or
  `sourcedId` when that is empty. The school is the first school in `orgSourcedIds`, else the
  school of their enrollment. `grades` gives the grade; the optional `metadata.language` column
  the home language.
- Guardians are users with role parent, guardian or relative, linked to students by
  `agentSourcedIds` (on either side). Their SIS id is `sourcedId`; `sms` is a mobile phone that
  takes SMS, `phone` a phone that does not, `email` an email; `metadata.language` their
  preferred language.

Idempotent: a second run of the same files changes nothing. Changed rows are updated. With a
full (bulk) export, students missing from it are deactivated, never deleted, and SIS-sourced
links and contact points that the SIS no longer lists are removed (never a prohibited link:
a court order is not the SIS's to lift). New links get pickup "allowed" for parents and
guardians and "not allowed" for relatives (OneRoster has no pickup data; see import_contacts),
and the next free emergency priorities in the order the SIS lists them.

Bad rows are reported with file, line, column and reason, and skipped whole; the good rows are
imported. An `agentSourcedIds` entry that names no user of the export (a guardian the SIS did
not export) is a warning with file, line, column and the id: the rest of the row is imported. All writes happen in one transaction after every row was checked, so nothing is ever
half-written.
"""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from config.bulk import bulk_insert, bulk_update_objects
from privacy.errors import DomainError
from privacy.services import audit_bulk, audit_record

from ..models import ContactPoint, Person, School, Student, StudentContact
from .csvsource import ImportReport, Source, read_rows
from .phones import PhoneBook, normalize_email

ACTOR = "import:oneroster"
GUARDIAN_ROLES = {"parent": "parent", "guardian": "guardian", "relative": "relative"}
BATCH = 5000


@dataclass(slots=True)
class StudentRow:
    sis_id: str
    first_name: str
    last_name: str
    school_sourced_id: str
    grade: str
    home_language: str
    active: bool
    agents: list[str]
    line: int = 0


@dataclass(slots=True)
class GuardianRow:
    sourced_id: str
    first_name: str
    last_name: str
    role: str
    language: str
    points: list[tuple[str, str, str, bool]]  # (kind, value, label, sms_capable)
    agents: list[str]
    line: int = 0


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(",") if part.strip()]


def _phone_cells(text: str) -> set[str]:
    """Every sms and phone cell of users.csv, to parse them all at once."""
    rows = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(rows, [])]
    columns = [header.index(c) for c in ("sms", "phone") if c in header]
    return {row[i] for row in rows for i in columns if i < len(row) and row[i]}


def _language(cell: str) -> str:
    value = cell.strip() or "en"
    return value if len(value) <= 16 else "en"


class OneRosterImport:
    def __init__(self, path: str | Path, *, full: bool | None = None, progress: bool = False):
        self.source = Source(path)
        self.report = ImportReport()
        self.progress = progress
        self.full = full
        self.schools: dict[str, dict] = {}  # sourcedId -> fields
        self.enrolled_school: dict[str, str] = {}  # user sourcedId -> school sourcedId
        self.students: dict[str, StudentRow] = {}  # sourcedId -> row
        self.guardians: dict[str, GuardianRow] = {}
        self.user_ids: set[str] = set()  # every sourcedId of users.csv, whatever its row held

    # --- reading -------------------------------------------------------------------------

    def run(self) -> ImportReport:
        for name in ("orgs.csv", "users.csv"):
            if not self.source.has(name):
                self.report.reject(name, 0, "", f"{name} is missing from the export")
        if self.report.errors:
            return self.report
        self._read_manifest()
        self._read_orgs()
        self._read_enrollments()
        self._read_users()
        self._warn_dangling_agents()
        self._write()
        return self.report

    def _read_manifest(self) -> None:
        if self.full is not None or not self.source.has("manifest.csv"):
            self.full = True if self.full is None else self.full
            return
        modes = {}
        for _, row in read_rows(self.source.text("manifest.csv"), "manifest.csv", self.report):
            modes[row.get("propertyName", "")] = row.get("value", "")
        self.report.rows = 0  # the manifest is not data
        self.full = modes.get("file.users", "bulk") != "delta"

    def _read_orgs(self) -> None:
        required = ("sourcedId", "name", "type")
        for line, row in read_rows(
            self.source.text("orgs.csv"), "orgs.csv", self.report, required=required
        ):
            if row["type"].lower() != "school":
                continue
            if not row["sourcedId"]:
                self.report.reject("orgs.csv", line, "sourcedId", "sourcedId is empty")
                continue
            if not row["name"]:
                self.report.reject("orgs.csv", line, "name", "a school needs a name")
                continue
            self.schools[row["sourcedId"]] = {
                "code": row.get("identifier") or row["sourcedId"],
                "name": row["name"][:200],
            }

    def _read_enrollments(self) -> None:
        if not self.source.has("enrollments.csv"):
            return
        text = self.source.text("enrollments.csv")
        required = ("userSourcedId", "schoolSourcedId", "role")
        for line, row in read_rows(
            text, "enrollments.csv", self.report, required=required, progress=self.progress
        ):
            if row["role"].lower() != "student" or row.get("status", "").lower() == "tobedeleted":
                continue
            if row["schoolSourcedId"] not in self.schools:
                self.report.reject(
                    "enrollments.csv",
                    line,
                    "schoolSourcedId",
                    f"unknown school '{row['schoolSourcedId']}'",
                )
                continue
            self.enrolled_school.setdefault(row["userSourcedId"], row["schoolSourcedId"])

    def _read_users(self) -> None:
        text = self.source.text("users.csv")
        # The phone numbers are parsed on the other cores while this one reads the students;
        # the guardians, who need them, are read last.
        self.phones = PhoneBook.prepared(_phone_cells(text))
        try:
            guardians = self._read_user_rows(text)
            for line, row in guardians:
                self._read_guardian(line, row)
        finally:
            self.phones.close()

    def _read_user_rows(self, text: str) -> list[tuple[int, dict]]:
        required = ("sourcedId", "role", "givenName", "familyName")
        seen_sis: set[str] = set()
        seen: set[str] = set()
        guardians = []
        for line, row in read_rows(
            text, "users.csv", self.report, required=required, progress=self.progress
        ):
            role = row["role"].lower()
            sourced_id = row["sourcedId"]
            if not sourced_id:
                self.report.reject("users.csv", line, "sourcedId", "sourcedId is empty")
                continue
            if sourced_id in seen:
                self.report.reject("users.csv", line, "sourcedId", f"'{sourced_id}' appears twice")
                continue
            seen.add(sourced_id)
            self.user_ids.add(sourced_id)
            if role == "student":
                self._read_student(line, row, seen_sis)
            elif role in GUARDIAN_ROLES:
                guardians.append((line, row))
        return guardians

    def _names(self, line: int, row: dict) -> tuple[str, str] | None:
        for column in ("givenName", "familyName"):
            if not row[column]:
                self.report.reject("users.csv", line, column, f"{column} is empty")
                return None
            if len(row[column]) > 100:
                self.report.reject(
                    "users.csv", line, column, f"{column} is longer than 100 characters"
                )
                return None
        return row["givenName"], row["familyName"]

    def _read_student(self, line: int, row: dict, seen_sis: set[str]) -> None:
        names = self._names(line, row)
        if names is None:
            return
        sourced_id = row["sourcedId"]
        school = next((o for o in _split(row.get("orgSourcedIds", "")) if o in self.schools), None)
        school = school or self.enrolled_school.get(sourced_id)
        if school is None:
            orgs = row.get("orgSourcedIds", "") or "(empty)"
            self.report.reject(
                "users.csv", line, "orgSourcedIds", f"no known school among '{orgs}'"
            )
            return
        sis_id = row.get("identifier") or sourced_id
        if sis_id in seen_sis:
            self.report.reject(
                "users.csv", line, "identifier", f"student number '{sis_id}' appears twice"
            )
            return
        seen_sis.add(sis_id)
        grades = _split(row.get("grades", ""))
        active = (
            row.get("status", "").lower() != "tobedeleted"
            and row.get("enabledUser", "true").lower() != "false"
        )
        self.students[sourced_id] = StudentRow(
            sis_id=sis_id[:64],
            first_name=names[0],
            last_name=names[1],
            school_sourced_id=school,
            grade=(grades[0] if grades else "")[:8],
            home_language=_language(row.get("metadata.language", "")),
            active=active,
            agents=_split(row.get("agentSourcedIds", "")),
            line=line,
        )

    def _read_guardian(self, line: int, row: dict) -> None:
        if row.get("status", "").lower() == "tobedeleted":
            return
        names = self._names(line, row)
        if names is None:
            return
        points: list[tuple[str, str, str, bool]] = []
        try:
            if row.get("sms"):
                points.append(
                    ("phone", self.phones.normalize(row["sms"], field="sms"), "mobile", True)
                )
            if row.get("phone"):
                phone = self.phones.normalize(row["phone"], field="phone")
                if not points or points[0][1] != phone:
                    points.append(("phone", phone, "home", False))
            if row.get("email"):
                points.append(
                    ("email", normalize_email(row["email"], field="email"), "other", False)
                )
        except DomainError as exc:
            self.report.reject("users.csv", line, exc.field or "", exc.message.split(": ", 1)[-1])
            return
        self.guardians[row["sourcedId"]] = GuardianRow(
            sourced_id=row["sourcedId"],
            first_name=names[0],
            last_name=names[1],
            role=GUARDIAN_ROLES[row["role"].lower()],
            language=_language(row.get("metadata.language", "")),
            points=points,
            agents=_split(row.get("agentSourcedIds", "")),
            line=line,
        )

    def _warn_dangling_agents(self) -> None:
        """Warn of each `agentSourcedIds` entry naming no user of users.csv. (A user whose own row
        was refused is in the export: that row's error already says why it is missing.)"""
        for rows in (self.students.values(), self.guardians.values()):
            for row in rows:
                for agent in row.agents:
                    if agent not in self.user_ids:
                        self.report.warn(
                            "users.csv",
                            row.line,
                            "agentSourcedIds",
                            f"'{agent}' names no user in the export; no link to it was made",
                        )

    # --- writing -------------------------------------------------------------------------

    @transaction.atomic
    def _write(self) -> None:
        school_ids = self._write_schools()
        student_ids = self._write_students(school_ids)
        person_ids = self._write_people()
        self._write_contact_points(person_ids)
        self._write_links(student_ids, person_ids)
        # Creations are summed up in one entry per run (the rows carry source "sis");
        # every update, deactivation and removal has its own entry with before and after.
        audit_record(
            actor=ACTOR,
            action="contacts.import.oneroster",
            object_type="contacts.import",
            object_id="oneroster",
            after={"full": self.full, **self.report.counts},
        )

    def _write_schools(self) -> dict[str, int]:
        existing = {s.sis_id: s for s in School.objects.filter(sis_id__in=list(self.schools))}
        ids = {}
        for sourced_id, fields in self.schools.items():
            school = existing.get(sourced_id)
            if school is None:
                school, created = School.objects.get_or_create(
                    code=fields["code"], defaults={"name": fields["name"], "sis_id": sourced_id}
                )
                if not created:
                    school.sis_id = sourced_id
                    school.save(update_fields=["sis_id"])
                self.report.add("schools created" if created else "schools updated")
            elif (school.code, school.name) != (fields["code"], fields["name"]):
                school.code, school.name = fields["code"], fields["name"]
                school.save(update_fields=["code", "name"])
                self.report.add("schools updated")
            ids[sourced_id] = school.pk
        return ids

    def _write_students(self, school_ids: dict[str, int]) -> dict[str, int]:
        fields = ("first_name", "last_name", "school_id", "grade", "home_language", "active")
        existing = {
            row[0]: row[1:]
            for row in Student.objects.values_list("sis_id", "id", *fields).iterator(
                chunk_size=BATCH
            )
        }
        to_create, to_update, audit = [], [], []
        by_sis: dict[str, str] = {}
        for sourced_id, row in self.students.items():
            by_sis[row.sis_id] = sourced_id
            wanted = (
                row.first_name,
                row.last_name,
                school_ids[row.school_sourced_id],
                row.grade,
                row.home_language,
                row.active,
            )
            current = existing.get(row.sis_id)
            if current is None:
                to_create.append({"sis_id": row.sis_id, **dict(zip(fields, wanted, strict=True))})
            elif current[1:] != wanted:
                to_update.append(
                    Student(
                        pk=current[0], sis_id=row.sis_id, **dict(zip(fields, wanted, strict=True))
                    )
                )
                audit.append(
                    (
                        str(current[0]),
                        dict(zip(fields, current[1:], strict=True)),
                        dict(zip(fields, wanted, strict=True)),
                    )
                )
        bulk_insert(Student, to_create)
        now = timezone.now()
        for student in to_update:
            student.updated_at = now
        bulk_update_objects(Student, to_update, [*fields, "updated_at"])
        deactivate = []
        if self.full:
            deactivate = [
                values[0]
                for sis_id, values in existing.items()
                if sis_id not in by_sis and values[-1]
            ]
            for start in range(0, len(deactivate), BATCH):
                Student.objects.filter(pk__in=deactivate[start : start + BATCH]).update(
                    active=False, updated_at=now
                )
        audit_bulk(
            actor=ACTOR, action="contacts.student.updated", label="contacts.student", rows=audit
        )
        audit_bulk(
            actor=ACTOR,
            action="contacts.student.deactivated",
            label="contacts.student",
            rows=[(str(pk), {"active": True}, {"active": False}) for pk in deactivate],
        )
        self.report.add("students created", len(to_create))
        self.report.add("students updated", len(to_update))
        self.report.add("students deactivated", len(deactivate))
        ids = {
            sis: pk
            for sis, pk in Student.objects.values_list("sis_id", "id").iterator(chunk_size=BATCH)
            if sis in by_sis
        }
        return {by_sis[sis]: pk for sis, pk in ids.items()}

    def _write_people(self) -> dict[str, int]:
        fields = ("first_name", "last_name", "preferred_language")
        existing = {
            row[0]: row[1:]
            for row in Person.objects.filter(sis_id__isnull=False)
            .values_list("sis_id", "id", *fields)
            .iterator(chunk_size=BATCH)
        }
        to_create, to_update, audit = [], [], []
        for sourced_id, row in self.guardians.items():
            wanted = (row.first_name, row.last_name, row.language)
            current = existing.get(sourced_id)
            if current is None:
                to_create.append(
                    dict(
                        sis_id=sourced_id,
                        first_name=row.first_name,
                        last_name=row.last_name,
                        preferred_language=row.language,
                    )
                )
            elif current[1:] != wanted:
                to_update.append(
                    Person(
                        pk=current[0],
                        sis_id=sourced_id,
                        first_name=row.first_name,
                        last_name=row.last_name,
                        preferred_language=row.language,
                        updated_at=timezone.now(),
                    )
                )
                audit.append(
                    (
                        str(current[0]),
                        dict(zip(fields, current[1:], strict=True)),
                        dict(zip(fields, wanted, strict=True)),
                    )
                )
        bulk_insert(Person, to_create)
        bulk_update_objects(Person, to_update, [*fields, "updated_at"])
        audit_bulk(
            actor=ACTOR, action="contacts.person.updated", label="contacts.person", rows=audit
        )
        self.report.add("people created", len(to_create))
        self.report.add("people updated", len(to_update))
        return {
            sis: pk
            for sis, pk in Person.objects.filter(sis_id__isnull=False)
            .values_list("sis_id", "id")
            .iterator(chunk_size=BATCH)
            if sis in self.guardians
        }

    def _write_contact_points(self, person_ids: dict[str, int]) -> None:
        existing: dict[tuple[int, str, str], tuple[int, str, bool, str]] = {}
        for pk, person_id, kind, value, label, sms, source in (
            ContactPoint.objects.filter(person__sis_id__isnull=False)
            .values_list("id", "person_id", "kind", "value", "label", "sms_capable", "source")
            .iterator(chunk_size=BATCH)
        ):
            existing[(person_id, kind, value)] = (pk, label, sms, source)
        wanted: set[tuple[int, str, str]] = set()
        to_create, to_update = [], []
        for sourced_id, row in self.guardians.items():
            person_id = person_ids[sourced_id]
            for kind, value, label, sms in row.points:
                key = (person_id, kind, value)
                wanted.add(key)
                current = existing.get(key)
                if current is None:
                    to_create.append(
                        dict(
                            person_id=person_id,
                            kind=kind,
                            value=value,
                            label=label,
                            sms_capable=sms,
                            source="sis",
                        )
                    )
                elif current[3] == "sis" and (current[1], current[2]) != (label, sms):
                    to_update.append(ContactPoint(pk=current[0], label=label, sms_capable=sms))
        imported = set(person_ids.values())
        stale = [
            current[0]
            for key, current in existing.items()
            if key[0] in imported and key not in wanted and current[3] == "sis"
        ]
        bulk_insert(ContactPoint, to_create)
        bulk_update_objects(ContactPoint, to_update, ["label", "sms_capable"])
        for start in range(0, len(stale), BATCH):
            ContactPoint.objects.filter(pk__in=stale[start : start + BATCH]).delete()
        audit_bulk(
            actor=ACTOR,
            action="contacts.contact_point.removed",
            label="contacts.contactpoint",
            rows=[(str(pk), None, None) for pk in stale],
        )
        self.report.add("contact points created", len(to_create))
        self.report.add("contact points updated", len(to_update))
        self.report.add("contact points removed", len(stale))

    def _write_links(self, student_ids: dict[str, int], person_ids: dict[str, int]) -> None:
        # Who the SIS says each student's guardians are, from either side of agentSourcedIds.
        wanted: dict[int, list[int]] = {}
        roles: dict[int, str] = {person_ids[g]: row.role for g, row in self.guardians.items()}
        for sourced_id, row in self.students.items():
            ordered = wanted.setdefault(student_ids[sourced_id], [])
            for agent in row.agents:
                if agent in person_ids and person_ids[agent] not in ordered:
                    ordered.append(person_ids[agent])
        for g_sourced, row in self.guardians.items():
            for agent in row.agents:
                if agent in student_ids:
                    ordered = wanted.setdefault(student_ids[agent], [])
                    if person_ids[g_sourced] not in ordered:
                        ordered.append(person_ids[g_sourced])

        existing: dict[tuple[int, int], tuple[int, str, str]] = {}
        top: dict[int, int] = {}
        for (
            pk,
            student_id,
            person_id,
            source,
            pickup,
            priority,
        ) in StudentContact.objects.values_list(
            "id", "student_id", "person_id", "source", "pickup_status", "emergency_priority"
        ).iterator(chunk_size=BATCH):
            existing[(student_id, person_id)] = (pk, source, pickup)
            if priority and priority > top.get(student_id, 0):
                top[student_id] = priority
        to_create = []
        for student_id, people in wanted.items():
            for person_id in people:
                if (student_id, person_id) in existing:
                    continue
                role = roles[person_id]
                guardian = role in ("parent", "guardian")
                top[student_id] = top.get(student_id, 0) + 1
                to_create.append(
                    dict(
                        student_id=student_id,
                        person_id=person_id,
                        relationship=role,
                        legal_guardian=guardian,
                        lives_with=guardian,
                        emergency_priority=top[student_id],
                        pickup_status="allowed" if guardian else "not_allowed",
                        source="sis",
                    )
                )
        stale = []
        if self.full:
            imported_students = set(student_ids.values())
            for (student_id, person_id), (pk, source, pickup) in existing.items():
                if (
                    source == "sis"
                    and student_id in imported_students
                    and person_id not in wanted.get(student_id, ())
                    and pickup != "prohibited"
                ):
                    stale.append(pk)
        bulk_insert(StudentContact, to_create)
        for start in range(0, len(stale), BATCH):
            StudentContact.objects.filter(pk__in=stale[start : start + BATCH]).delete()
        audit_bulk(
            actor=ACTOR,
            action="contacts.student_contact.removed",
            label="contacts.studentcontact",
            rows=[(str(pk), None, None) for pk in stale],
        )
        self.report.add("links created", len(to_create))
        self.report.add("links removed", len(stale))


def import_oneroster(
    path: str | Path, *, full: bool | None = None, progress: bool = False
) -> ImportReport:
    return OneRosterImport(path, full=full, progress=progress).run()
