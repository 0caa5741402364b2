"""Reads shared by the API, the admin and the bot."""

from .models import Booking, BookingEvent, Reminder


def bookings_with_relations():
    """Bookings with master, service and customer joined: a list costs one query, not one per row."""
    return Booking.objects.select_related("master", "service", "customer")


def booking_history(booking: Booking):
    return BookingEvent.objects.filter(booking=booking).select_related("actor").order_by("created_at", "id")


def reminders():
    return Reminder.objects.all()
