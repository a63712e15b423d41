"""Thin tasks: each calls one privacy service."""

from celery import shared_task

from . import chain
from .services import retention


@shared_task(acks_late=True, name="privacy.audit_seal")
def audit_seal() -> dict:
    """Chain the audit and access rows written outside the chain (idempotent: takes the lock)."""
    return {name: chain.chain_seal(name) for name in chain.CHAINS}


@shared_task(acks_late=True, name="privacy.retention_run")
def retention_run() -> dict:
    """Purge or anonymise what has passed its retention period (idempotent)."""
    return retention.retention_run()
