from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from analytics import cache as dashboard_cache
from bookings.models import Booking, BookingStatus
from messaging.models import Conversation, Direction, Message, MessageStatus
from tests import factories

IN, OUT = Direction.IN, Direction.OUT

# Monday 2025-03-31 22:30 in New York (EDT, UTC-4) is already Tuesday 1 April in UTC: the salon's
# "today", week and month all differ from the platform's UTC ones.
NOW = datetime(2025, 4, 1, 2, 30, tzinfo=UTC)
LONG_AGO = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
# Queries of one dashboard computation, whatever the data: bookings 4, customers 1, messages 1,
# reminders of unknown outcome 1 (the (status, scheduled_at) index: such rows are few).
MISS_QUERIES = 7


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_booking(salon, start_ts, status=BookingStatus.CONFIRMED, price="40.00", created_at=LONG_AGO) -> Booking:
    """A booking row in any status at any time, bypassing the services (this is test data)."""
    booking = Booking.objects.create(
        salon=salon,
        start_ts=start_ts,
        end_ts=start_ts + timedelta(hours=1),
        status=status,
        price=Decimal(price) if price is not None else None,
        customer_name="Data",
    )
    Booking.objects.filter(pk=booking.pk).update(created_at=created_at)
    return booking


def make_customer(salon, created_at):
    customer = factories.CustomerFactory(salon=salon)
    type(customer).objects.filter(pk=customer.pk).update(created_at=created_at)
    return customer


def make_chat(salon, *messages: tuple[str, timedelta]) -> Conversation:
    """A conversation with messages (direction, how long before NOW), stored at those times."""
    customer = factories.CustomerFactory(salon=salon)
    conversation = Conversation.objects.create(salon=salon, customer=customer, wa_id=customer.phone.lstrip("+"))
    for direction, ago in messages:
        status = MessageStatus.RECEIVED if direction == IN else MessageStatus.SENT
        message = Message.objects.create(
            salon=salon, conversation=conversation, direction=direction, type="text", text="hi", status=status
        )
        Message.objects.filter(pk=message.pk).update(created_at=NOW - ago)
    return conversation


@pytest.fixture(autouse=True)
def _cache_in_use():
    """A test that found Redis down must not leave the next one skipping the cache."""
    yield
    dashboard_cache.stop_bypass()


@pytest.fixture
def ny_salon(owner):
    return factories.SalonFactory(owner=owner, timezone="America/New_York", currency="USD")


@pytest.fixture
def dataset(ny_salon, other_salon):
    """Bookings and customers with known answers; the expected figures are in the tests."""
    s = ny_salon
    C, P, D, X, N = (
        BookingStatus.CONFIRMED,
        BookingStatus.IN_PROGRESS,
        BookingStatus.COMPLETED,
        BookingStatus.CANCELLED,
        BookingStatus.NO_SHOW,
    )
    make_booking(s, utc(2025, 4, 1, 1, 0), C, "30.00", created_at=NOW - timedelta(hours=1))  # b1: NY Mon 21:00
    make_booking(s, utc(2025, 3, 31, 3, 0), D, "50.00")  # b2: NY Sun 30 Mar 23:00 -> last week, March
    make_booking(s, utc(2025, 3, 31, 15, 0), D, "40.00", created_at=NOW - timedelta(hours=25))  # b3: today
    make_booking(s, utc(2025, 3, 31, 16, 0), P)  # b4: today
    make_booking(s, utc(2025, 3, 31, 18, 0), X)  # b5: today, cancelled still counts
    make_booking(s, utc(2025, 3, 25, 15, 0), N)  # b6: last week
    make_booking(s, utc(2025, 3, 26, 15, 0), D, "25.50")  # b7: last week, March
    make_booking(s, utc(2025, 2, 15, 15, 0), D, "100.00")  # b8: February
    make_booking(s, utc(2025, 3, 1, 4, 30), D, "60.00")  # b9: NY 28 Feb 23:30 EST -> February
    make_booking(s, utc(2025, 4, 2, 15, 0), C, "35.00", created_at=NOW - timedelta(hours=24))  # b10: this week
    make_booking(s, utc(2025, 1, 10, 15, 0), D, "70.00")  # b11: January
    make_booking(s, utc(2025, 3, 10, 15, 0), D, None)  # b12: completed without a price
    make_customer(s, NOW - timedelta(days=1))
    make_customer(s, NOW - timedelta(days=6, hours=23))
    make_customer(s, NOW - timedelta(days=8))
    hours, days = (lambda n: timedelta(hours=n)), (lambda n: timedelta(days=n))
    make_chat(s, (IN, hours(2)), (OUT, hours(1)))  # A: answered, active
    make_chat(s, (IN, days(3)), (OUT, days(3) - timedelta(minutes=5)), (IN, hours(30)))  # B: latest unanswered
    make_chat(s, (IN, days(10)), (OUT, days(9)))  # C: before the 7-day window
    make_chat(s, (IN, hours(5)))  # D: unanswered, active
    make_chat(s, (OUT, hours(1)))  # E: a reminder nobody answered: nothing to respond to
    make_chat(s, (IN, days(6)), (OUT, days(6) - timedelta(minutes=1)))  # F: answered
    make_chat(s, (IN, hours(20)), (OUT, hours(4)), (IN, hours(3)))  # G: wrote again, waits; active once
    # Another tenant (Berlin): invisible in the salon's figures, counted platform-wide.
    make_booking(other_salon, utc(2025, 4, 1, 10, 0), C, "20.00")
    make_customer(other_salon, NOW - timedelta(days=2))
    make_chat(other_salon, (IN, timedelta(hours=1)))
    return s


@pytest.fixture
def service(salon):
    return factories.ServiceFactory(salon=salon, duration_minutes=60, price=Decimal("35.00"))


@pytest.fixture
def master(salon, service):
    return factories.MasterFactory(salon=salon, services=[service])


@pytest.fixture
def dead_cache(settings):
    """The `default` cache pointed at a closed port, configured as production configures Redis."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2, "IGNORE_EXCEPTIONS": True},
        },
    }
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    return settings
