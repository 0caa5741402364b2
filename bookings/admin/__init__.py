"""Bookings in the admin: the list, the booking page with its status buttons, and the day calendar.

Every create, change and status change goes through `bookings.services`, as in the API.
"""

from .booking import BookingAdmin

__all__ = ["BookingAdmin"]
