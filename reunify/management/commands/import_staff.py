from django.core.management.base import BaseCommand, CommandError

from contacts.management.commands.import_oneroster import write_report
from reunify.services.staff import staff_import


class Command(BaseCommand):
    help = (
        "Import staff and counselor profiles from a CSV (username, first_name, last_name, email, "
        "role, schools, languages, cap; see reunify/lib/staff_csv.py). Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the staff CSV file")

    def handle(self, *args, path, **options):
        try:
            report = staff_import(actor="import:staff", path=path)
        except (FileNotFoundError, OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        write_report(self, report)
