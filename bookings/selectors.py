"""Reads shared by the API, the admin and the bot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from salons.models import Master, MasterTimeOff, Salon

from . import availability
from .models import Booking, BookingEvent, BookingStatus, Reminder


def bookings_with_relations():
    """Bookings with master, service and customer joined: a list costs one query, not one per row."""
    return Booking.objects.select_related("master", "service", "customer")


def booking_history(booking: Booking):
    return BookingEvent.objects.filter(booking=booking).select_related("actor").order_by("created_at", "id")


def reminders():
    return Reminder.objects.all()


@dataclass(frozen=True)
class DaySchedule:
    """What a salon's day looks like: its active masters, the bookings and time off touching it."""

    salon: Salon
    day: date
    masters: list[Master]
    bookings: list[Booking]
    time_off: list[MasterTimeOff]


def day_schedule(salon: Salon, day: date, *, include_cancelled: bool = False) -> DaySchedule:
    """Three queries whatever the day holds: masters, bookings overlapping the local day, time off.

    Overlap, not "starts within": a booking that crosses midnight belongs to both days.
    """
    start = availability.wall_boundary(day, 0, salon.timezone)
    end = availability.wall_boundary(day + timedelta(days=1), 0, salon.timezone)
    masters = list(Master.objects.filter(salon=salon, is_active=True).order_by("name", "pk"))
    bookings = Booking.objects.filter(salon=salon).overlapping(start, end)
    if not include_cancelled:
        bookings = bookings.exclude(status=BookingStatus.CANCELLED)
    bookings = list(bookings.select_related("service", "customer", "master").order_by("start_ts", "pk"))
    time_off = list(
        MasterTimeOff.objects.filter(salon=salon, start_ts__lt=end, end_ts__gt=start).order_by("start_ts", "pk")
    )
    return DaySchedule(salon=salon, day=day, masters=masters, bookings=bookings, time_off=time_off)
