import sys

from django.core.management.base import BaseCommand, CommandError

from contacts.lib.contacts_csv import import_contacts

from .import_oneroster import write_report


class Command(BaseCommand):
    help = "Import the contacts CSV (pickup permissions, custody, emergency order). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the contacts CSV file (format in README.md)")
        parser.add_argument(
            "--allow-renames",
            action="store_true",
            help="the file renames adults on purpose: a row whose adult_sis_id names an adult "
            "with another first and last name renames them (refused without this flag)",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, path, allow_renames, quiet, **options):
        try:
            report = import_contacts(
                path, allow_renames=allow_renames, progress=not quiet and sys.stderr.isatty()
            )
        except (FileNotFoundError, OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        write_report(self, report)
