"""Reminder rows follow their booking: planned on create, moved on reschedule, cancelled at the end."""

from datetime import datetime, timedelta

from django.utils import timezone

from .models import Booking, Reminder, ReminderStatus

OPEN_STATUSES = (ReminderStatus.PENDING, ReminderStatus.QUEUED)


def plan_reminders(booking: Booking, offsets: list[int], now: datetime | None = None) -> None:
    """One row per offset still in the future; a row that already exists is moved, not duplicated."""
    now = now or timezone.now()
    existing = {r.offset_minutes: r for r in Reminder.objects.filter(booking=booking)}
    for offset in offsets:
        scheduled_at = booking.start_ts - timedelta(minutes=offset)
        reminder = existing.pop(offset, None)
        if scheduled_at <= now:
            if reminder and reminder.status in OPEN_STATUSES:
                _close(reminder, ReminderStatus.CANCELLED, "Too late for this reminder after a reschedule.")
            continue
        if reminder is None:
            Reminder.objects.create(
                salon_id=booking.salon_id, booking=booking, offset_minutes=offset, scheduled_at=scheduled_at
            )
        else:
            # A QUEUED row going back to PENDING makes its in-flight send a no-op: sends only
            # happen from QUEUED by a conditional update.
            reminder.scheduled_at, reminder.status, reminder.queued_at = scheduled_at, ReminderStatus.PENDING, None
            reminder.attempts, reminder.last_error = 0, ""
            reminder.save(update_fields=["scheduled_at", "status", "queued_at", "attempts", "last_error", "updated_at"])
    for leftover in existing.values():  # offsets the salon no longer uses
        if leftover.status in OPEN_STATUSES:
            _close(leftover, ReminderStatus.CANCELLED, "The salon no longer uses this offset.")


def plan_new_reminders(booking: Booking, offsets: list[int], now: datetime | None = None) -> None:
    """A new booking has no rows yet: one per offset still in the future, in one INSERT."""
    now = now or timezone.now()
    starts = {offset: booking.start_ts - timedelta(minutes=offset) for offset in dict.fromkeys(offsets)}
    Reminder.objects.bulk_create(
        Reminder(salon_id=booking.salon_id, booking=booking, offset_minutes=offset, scheduled_at=scheduled_at)
        for offset, scheduled_at in starts.items()
        if scheduled_at > now
    )


def cancel_open_reminders(booking: Booking) -> int:
    return Reminder.objects.filter(booking=booking, status__in=OPEN_STATUSES).update(
        status=ReminderStatus.CANCELLED, updated_at=timezone.now()
    )


def _close(reminder: Reminder, status: str, reason: str) -> None:
    reminder.status, reminder.last_error = status, reason
    reminder.save(update_fields=["status", "last_error", "updated_at"])
