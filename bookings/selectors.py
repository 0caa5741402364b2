"""Reads shared by the API, the admin and the bot."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import F

from salons.models import Customer, Master, MasterTimeOff, Salon, Service

from . import availability
from .models import Booking, BookingEvent, BookingStatus, Reminder, SlotHold, WaitlistEntry


def bookings_with_relations():
    """Bookings with master, service and customer joined: a list costs one query, not one per row."""
    return Booking.objects.select_related("master", "service", "customer")


def booking_history(booking: Booking):
    return BookingEvent.objects.filter(booking=booking).select_related("actor").order_by("created_at", "id")


def reminders():
    return Reminder.objects.all()


def waitlist_entries():
    """Waiting-list entries with customer, service and master joined: one query per page."""
    return WaitlistEntry.objects.select_related("customer", "service", "master")


def salon_service(salon_id, service_id) -> Service | None:
    """The salon's service with that id (active or not, as availability has always read it), or None."""
    return Service.objects.filter(salon_id=salon_id, pk=service_id).first()


def last_rebookable(customer: Customer) -> Booking | None:
    """The customer's latest booking that can be booked again as it was: its service and master
    still active, the master still doing the service (cancelled ones are not what they want)."""
    return (
        Booking.objects.filter(customer=customer, service__is_active=True, master__is_active=True)
        .exclude(status=BookingStatus.CANCELLED)
        .filter(master__services=F("service"))
        .select_related("service", "master")
        .order_by("-start_ts")
        .first()
    )


def salon_opening(salon: Salon, now: datetime, *, horizon_days: int = 14) -> tuple[bool, datetime | None]:
    """Is any active master working at `now` (not on a break)? If not, when does the first one start?

    The salon's hours are its masters' hours: that is when a person is there to answer.
    """
    today = now.astimezone(zoneinfo.ZoneInfo(salon.timezone)).date()
    opens = None
    for hours in Master.objects.filter(salon=salon, is_active=True).values_list("working_hours", flat=True):
        for offset in range(horizon_days + 1):
            window = availability.working_window(hours, salon.timezone, today + timedelta(days=offset))
            if window is None:
                continue
            (start, end), breaks = window
            if start <= now < end and not any(b_start <= now < b_end for b_start, b_end in breaks):
                return True, None
            later = [t for t in (start, *(b_end for _b, b_end in breaks)) if now < t < end]
            if later:
                opens = min(later) if opens is None else min(opens, *later)
                break
    return False, opens


@dataclass(frozen=True)
class DaySchedule:
    """What a salon's day looks like: its active masters, the bookings, time off and live holds touching it."""

    salon: Salon
    day: date
    masters: list[Master]
    bookings: list[Booking]
    time_off: list[MasterTimeOff]
    holds: list[SlotHold]


def day_schedule(salon: Salon, day: date, *, include_cancelled: bool = False) -> DaySchedule:
    """Four queries whatever the day holds: masters, bookings overlapping the local day, time off, holds.

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
    holds = list(SlotHold.objects.live().filter(salon=salon, start_ts__lt=end, end_ts__gt=start).order_by("start_ts"))
    return DaySchedule(salon=salon, day=day, masters=masters, bookings=bookings, time_off=time_off, holds=holds)
