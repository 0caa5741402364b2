"""Bookings in the admin: the list, the booking page with its status buttons, the day calendar,
and the waiting list.

Every create, change and status change goes through `bookings.services` (and the waiting list
through `bookings.waitlist`), as in the API.
"""

from .booking import BookingAdmin
from .waitlist import WaitlistEntryAdmin

__all__ = ["BookingAdmin", "WaitlistEntryAdmin"]
