import sys

from django.core.management.base import BaseCommand, CommandError

from contacts.lib.contacts_csv import import_contacts

from .import_oneroster import write_report


class Command(BaseCommand):
    help = "Import the contacts CSV (pickup permissions, custody, emergency order). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the contacts CSV file (format in README.md)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, path, quiet, **options):
        try:
            report = import_contacts(path, progress=not quiet and sys.stderr.isatty())
        except (FileNotFoundError, OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        write_report(self, report)
