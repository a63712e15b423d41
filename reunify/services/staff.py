"""Loading staff and counselor profiles from the staff CSV."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from contacts.lib.csvsource import ImportReport
from contacts.models import School, StaffMembership
from privacy.roles import Role
from privacy.services import audit_record

from ..lib.staff_csv import StaffRow, parse_rows
from ..models import CounselorProfile


def staff_import(*, actor, path: str | Path) -> ImportReport:
    """Create or update the staff users, their role, schools and counselor profile from the CSV
    at `path`, in one transaction. Idempotent: a second run of the same file changes nothing
    (counted as unchanged). A new user gets no usable password (they sign in after an admin
    sets one or through the district's sign-in). Never removes a role or a school a user has.
    Raises FileNotFoundError/UnicodeDecodeError for an unreadable file."""
    path = Path(path)
    text = path.read_bytes().decode("utf-8-sig")
    report = ImportReport()
    codes = {code: pk for code, pk in School.objects.values_list("code", "pk")}
    rows = parse_rows(text, path.name, report, school_codes=set(codes))
    with transaction.atomic():
        for row in rows:
            report.add(_apply(actor, row, codes))
    return report


def _apply(actor, row: StaffRow, codes: dict[str, int]) -> str:
    User = get_user_model()
    user, created = User.objects.get_or_create(username=row.username)
    changed = []
    for name in ("first_name", "last_name", "email"):
        value = getattr(row, name)
        if value and getattr(user, name) != value:
            setattr(user, name, value)
            changed.append(name)
    if created:
        user.set_unusable_password()
        changed.append("password")
    if changed:
        user.save(update_fields=changed)
    group, _ = Group.objects.get_or_create(name=row.role)
    if not user.groups.filter(pk=group.pk).exists():
        user.groups.add(group)
        changed.append("role")
    school_ids = {codes[code] for code in row.schools}
    if row.role == Role.COUNSELOR:
        profile, made = CounselorProfile.objects.get_or_create(
            user=user, defaults={"languages": list(row.languages), "caseload_cap": row.cap}
        )
        if made:
            changed.append("profile")
        elif profile.languages != list(row.languages) or profile.caseload_cap != row.cap:
            profile.languages, profile.caseload_cap = list(row.languages), row.cap
            profile.save(update_fields=["languages", "caseload_cap"])
            changed.append("profile")
        have = set(profile.schools.values_list("pk", flat=True))
        if school_ids - have:
            profile.schools.add(*(school_ids - have))
            changed.append("schools")
    elif school_ids:
        have = set(StaffMembership.objects.filter(user=user).values_list("school_id", flat=True))
        for school_id in sorted(school_ids - have):
            StaffMembership.objects.create(user=user, school_id=school_id)
            changed.append("schools")
    if not changed:
        return "unchanged"
    audit_record(
        actor=actor,
        action="reunify.staff.imported",
        obj=user,
        after={
            "role": row.role,
            "schools": list(row.schools),
            "languages": list(row.languages),
            "cap": row.cap,
            "changed": changed,
        },
    )
    return "created" if created else "updated"
