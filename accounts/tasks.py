"""Celery tasks of accounts."""

from celery import shared_task
from django.core.management import call_command


@shared_task(name="accounts.flush_expired_tokens")
def flush_expired_tokens() -> None:
    """Daily: outstanding and blacklisted JWTs past their expiry are only dead weight."""
    call_command("flushexpiredtokens")
