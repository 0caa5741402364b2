"""Celery tasks of bookings: housekeeping that correctness never waits for (CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from . import holds, waitlist


@shared_task(name="bookings.expire_waitlist")
def expire_waitlist() -> int:
    """Hourly: entries whose day has passed leave the list (offers already never match them)."""
    return waitlist.expire_waitlist()


@shared_task(name="bookings.purge_expired_holds")
def purge_expired_holds() -> int:
    """Hourly: a hold stops counting when it expires; this only clears the old rows away."""
    return holds.purge_expired_holds()
