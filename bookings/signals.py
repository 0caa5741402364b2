"""Signals that higher apps (messaging, analytics) listen to; sent only after commit."""

from django.dispatch import Signal

# kwargs: booking_id, salon_id, event (a BookingEventKind value)
booking_changed = Signal()
