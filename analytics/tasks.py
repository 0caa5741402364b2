"""Celery tasks of analytics: load by id, call a service."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def warm_salon_dashboard(salon_id: str) -> None:
    """Recompute a salon's dashboard after an invalidation, so the next read is a hit."""
    services.warm_salon_dashboard(salon_id=salon_id)
