"""Signals that higher apps (messaging, analytics) listen to; sent only after commit."""

from django.dispatch import Signal

# kwargs: booking_id, salon_id, event (a BookingEventKind value), recorded (True for a booking
# recorded after the fact with `at=`: it counts, but nobody is to be messaged about it now)
booking_changed = Signal()
