"""Times on the salon's wall clock, and bookings made by someone else, for the bot tests."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from tests import factories


def local_at(salon, days: int, hour: int, minute: int = 0) -> datetime:
    """`days` from the salon's today, at hour:minute salon time."""
    zone = ZoneInfo(salon.timezone)
    day = timezone.now().astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def book_elsewhere(salon, service, master, start, phone="+491709999999"):
    """Another customer takes a slot (through the API's path), as happens between two taps."""
    return factories.BookingFactory(
        salon=salon, service=service, master=master, start_ts=start, customer_name="Someone Else", customer_phone=phone
    )
