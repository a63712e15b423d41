import sys

from django.core.management.base import BaseCommand, CommandError

from contacts.lib.oneroster import import_oneroster


class Command(BaseCommand):
    help = "Import a OneRoster 1.1 CSV bulk export (a folder or a zip). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "path", help="folder or zip holding orgs.csv, users.csv, enrollments.csv"
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--full",
            dest="full",
            action="store_true",
            default=None,
            help="a full export: deactivate students missing from it (default unless "
            "the manifest says delta)",
        )
        mode.add_argument(
            "--delta", dest="full", action="store_false", help="a partial export: deactivate nobody"
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, path, full, quiet, **options):
        try:
            report = import_oneroster(path, full=full, progress=not quiet and sys.stderr.isatty())
        except (FileNotFoundError, OSError, ValueError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        write_report(self, report)


def write_report(command: BaseCommand, report) -> None:
    """The refused rows on stderr; the summary (counts, then each warning and each note) on
    stdout. Fails when a row was refused; warnings alone do not."""
    for error in sorted(report.errors, key=lambda e: (e.file, e.line)):
        command.stderr.write(str(error))
    command.stdout.write(report.summary())
    if report.errors:
        raise CommandError(
            f"{len(report.errors)} problems; the rows listed above were not imported"
        )
