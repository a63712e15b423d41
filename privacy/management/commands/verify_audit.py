"""`manage.py verify_audit`: walk the audit and access logs' hash chains and name the first row
that was altered or removed. Exits non-zero when a chain is broken."""

from django.core.management.base import BaseCommand, CommandError

from privacy.chain import CHAINS, chain_seal, chain_verify


class Command(BaseCommand):
    help = "Verify the hash chains of the audit and access logs; name the first broken row."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-seal",
            action="store_true",
            help="Do not first chain rows written outside the chain (read-only run).",
        )

    def handle(self, *args, no_seal: bool = False, **options):
        faults = []
        for name in CHAINS:
            sealed = 0 if no_seal else chain_seal(name)
            checked, fault = chain_verify(name)
            if fault is None:
                self.stdout.write(f"{name}: {checked} rows, chain intact (sealed {sealed} new).")
            else:
                self.stderr.write(f"{name}: BROKEN after {checked} good rows: {fault}")
                faults.append(fault)
        if faults:
            raise CommandError(f"audit chain broken: {faults[0]}", returncode=1)
