"""`manage.py seed_demo --students N --seed S`: a synthetic district to demo and load-test with.

It writes the files a district would give Reunify (contacts.lib.synthetic), imports them with the
real importers, marks the numbers a carrier would report dead, and creates one demo login per
role. The same seed gives the same district, so a second run changes nothing.
"""

from pathlib import Path
from tempfile import TemporaryDirectory
from time import perf_counter

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group
from django.core.management import call_command, load_command_class
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from contacts.lib.synthetic import INVALID_REASON, DistrictFiles, generate_district
from contacts.models import ContactPoint, School, StaffMembership
from contacts.services import contact_point_mark_invalid
from privacy.roles import Role

ACTOR = "seed_demo"
DEFAULT_PASSWORD = "reunify-demo"  # noqa: S105 - the demo logins, printed on purpose


class Command(BaseCommand):
    help = "Build a synthetic district (schools, students, families) and demo staff logins."

    def add_arguments(self, parser):
        parser.add_argument("--students", type=int, default=2000, help="default 2000")
        parser.add_argument("--seed", type=int, default=1, help="same seed, same district")
        parser.add_argument(
            "--keep-files",
            metavar="DIR",
            help="write the generated OneRoster and contacts files here and keep them",
        )
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="for the demo logins")

    def handle(self, *args, students: int, seed: int, keep_files, password: str, **options):
        if students < 1:
            raise CommandError("--students must be at least 1")
        quiet = options["verbosity"] < 2
        with TemporaryDirectory(prefix="reunify-demo-") as tmp:
            out = Path(keep_files) if keep_files else Path(tmp)
            started = perf_counter()
            files = generate_district(out, students=students, seed=seed)
            self.stdout.write(
                f"Generated {files.students} students, {files.sis_adults} SIS adults and "
                f"{files.other_adults} other adults in {len(files.schools)} schools "
                f"({perf_counter() - started:.1f}s)" + (f" in {out}" if keep_files else "")
            )
            self._import("import_oneroster", files.oneroster_dir, quiet)
            self._import("import_contacts", files.contacts_csv, quiet)
        marked = self._mark_invalid(files)
        if marked:
            self.stdout.write(f"Marked {marked} numbers invalid ({INVALID_REASON}).")
        logins = self._staff(files, password)
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password: {password}):"))
        for username, what in logins:
            self.stdout.write(f"  {username:<14} {what}")

    def _import(self, command: str, path: Path, quiet: bool) -> None:
        started = perf_counter()
        options = {"stdout": self.stdout, "stderr": self.stderr}
        if quiet and _accepts(command, "quiet"):
            options["quiet"] = True
        call_command(command, str(path), **options)
        self.stdout.write(f"{command}: {perf_counter() - started:.1f}s")

    def _mark_invalid(self, files: DistrictFiles) -> int:
        """Mark the numbers a carrier reported as not in service; already marked ones are left."""
        wanted = set(files.invalid_numbers)
        if not wanted:
            return 0
        points = ContactPoint.objects.filter(
            kind=ContactPoint.Kind.PHONE,
            person__sis_id__in={sis for sis, _ in wanted},
            value__in={phone for _, phone in wanted},
        ).select_related("person")
        marked = 0
        for point in points:
            if (point.person.sis_id, point.value) not in wanted:
                continue
            if point.status == ContactPoint.Status.INVALID and point.last_failure == INVALID_REASON:
                continue
            contact_point_mark_invalid(actor=ACTOR, contact_point=point, reason=INVALID_REASON)
            marked += 1
        return marked

    @transaction.atomic
    def _staff(self, files: DistrictFiles, password: str) -> list[tuple[str, str]]:
        """One login per role, created or repaired, never rewritten when already right."""
        school = School.objects.get(code=files.schools[0].code)
        specs = [
            ("lead", Role.CRISIS_LEAD, None, "crisis team lead"),
            (f"office.{school.code.lower()}", Role.SCHOOL_STAFF, school, f"staff, {school.name}"),
            ("data", Role.DATA_TEAM, None, "district data team"),
            ("counselor", Role.COUNSELOR, None, "counselor"),
            ("legal", Role.LEGAL, None, "legal officer"),
            ("admin", None, None, "administrator (superuser)"),
        ]
        User = get_user_model()
        users = {}
        for username, role, _, _ in specs:
            user, _ = User.objects.get_or_create(username=username)
            users[username] = user
            changed = []
            if role is None and not (user.is_superuser and user.is_staff):
                user.is_superuser = user.is_staff = True
                changed += ["is_superuser", "is_staff"]
            if not user.is_active:
                user.is_active = True
                changed.append("is_active")
            if changed:
                user.save(update_fields=changed)
        self._set_passwords(list(users.values()), password)
        for username, role, membership_school, _ in specs:
            user = users[username]
            if role is not None:
                group, _ = Group.objects.get_or_create(name=role)
                user.groups.add(group)
            if membership_school is not None:
                StaffMembership.objects.get_or_create(user=user, school=membership_school)
        return [(username, what) for username, _, _, what in specs]

    @staticmethod
    def _set_passwords(users, password: str) -> None:
        # Hashing is slow on purpose (~0.5 s); hash once and share it, check once on a rerun.
        good = next((u.password for u in users if check_password(password, u.password)), None)
        encoded = good or make_password(password)
        for user in users:
            if user.password == encoded or (good and check_password(password, user.password)):
                continue
            user.password = encoded
            user.save(update_fields=["password"])


def _accepts(command: str, option: str) -> bool:
    parser = load_command_class("contacts", command).create_parser("manage.py", command)
    return any(action.dest == option for action in parser._actions)
