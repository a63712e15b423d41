"""Reading the staff CSV (`manage.py import_staff PATH`).

One row per staff member, with a header:

    username,first_name,last_name,email,role,schools,languages,cap

- `role`: school_staff, counselor, crisis_lead, legal_officer, data_team or district_admin;
- `schools`: school codes separated by `;` (the schools a counselor serves, or where school staff
  work); every code must exist;
- `languages`: BCP 47 tags separated by `;` (`en;es-MX`), for counselors; each must name a known
  language;
- `cap`: a counselor's caseload cap, 1 to 50 (default 8).

Bad rows are reported as file:line [column] reason and skipped; the rest is imported.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import get_language_info

from contacts.lib.csvsource import ImportReport, read_rows
from privacy.roles import Role

COLUMNS = ("username", "first_name", "last_name", "email", "role", "schools", "languages", "cap")
REQUIRED = ("username", "role")
USERNAME = re.compile(r"^[\w.@+-]{1,150}$")
BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MAX_CAP = 50


@dataclass(frozen=True)
class StaffRow:
    line: int
    username: str
    first_name: str
    last_name: str
    email: str
    role: str
    schools: tuple[str, ...]
    languages: tuple[str, ...]
    cap: int


def known_language(tag: str) -> bool:
    if not BCP47.match(tag):
        return False
    try:
        get_language_info(tag.split("-")[0].lower())
    except KeyError:
        return False
    return True


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(";") if part.strip())


def parse_rows(
    text: str, file: str, report: ImportReport, *, school_codes: set[str]
) -> list[StaffRow]:
    rows, seen = [], set()
    for line, row in read_rows(text, file, report, required=REQUIRED):

        def reject(column: str, reason: str, line=line) -> None:
            report.reject(file, line, column, reason)

        username = row.get("username", "")
        if not USERNAME.match(username):
            reject("username", "must be 1 to 150 letters, digits or . @ + - _")
            continue
        if username.lower() in seen:
            reject("username", f"'{username}' appears twice in the file")
            continue
        role = row.get("role", "")
        if role not in Role.values:
            reject("role", f"'{role}' is not one of {', '.join(Role.values)}")
            continue
        email = row.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                reject("email", "is not a valid email address")
                continue
        schools = _split(row.get("schools", ""))
        unknown = [code for code in schools if code not in school_codes]
        if unknown:
            reject("schools", f"unknown school code {', '.join(unknown)}")
            continue
        languages = _split(row.get("languages", ""))
        bad = [tag for tag in languages if not known_language(tag)]
        if bad:
            reject("languages", f"unknown language {', '.join(bad)} (use BCP 47 tags: en, es-MX)")
            continue
        raw_cap = row.get("cap", "") or "8"
        if not (raw_cap.isascii() and raw_cap.isdigit() and 1 <= int(raw_cap) <= MAX_CAP):
            reject("cap", f"must be a whole number from 1 to {MAX_CAP}")
            continue
        if role == Role.COUNSELOR and not languages:
            reject("languages", "a counselor needs at least one language")
            continue
        seen.add(username.lower())
        rows.append(
            StaffRow(
                line=line,
                username=username,
                first_name=row.get("first_name", "")[:150],
                last_name=row.get("last_name", "")[:150],
                email=email.lower(),
                role=role,
                schools=schools,
                languages=languages,
                cap=int(raw_cap),
            )
        )
    return rows
