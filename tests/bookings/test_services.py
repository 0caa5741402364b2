from datetime import timedelta

import pytest

from bookings import services
from bookings.models import ActorKind, BookingEvent, BookingSource
from salonbot.errors import BookingConflict
from tests import factories
from tests.bookings.conftest import next_monday_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(salon, service):
    # Names out of creation order, so "ties by name" is not an accident of primary keys.
    return {name: factories.MasterFactory(salon=salon, services=[service], name=name) for name in ("Zoe", "Bea", "Ada")}


def book(salon, service, start, master=None, **kw):
    return factories.BookingFactory(salon=salon, service=service, master=master, start_ts=start, **kw)


def test_any_master_picks_the_least_busy_that_day_then_by_name(salon, service, team):
    day = next_monday_at(9)
    book(salon, service, day, master=team["Ada"])
    first = book(salon, service, day + timedelta(hours=3))
    assert first.master.name == "Bea"  # Bea and Zoe have 0 bookings; Bea sorts first
    second = book(salon, service, day + timedelta(hours=5))  # 14:00, after lunch
    assert second.master.name == "Zoe"


def test_any_master_skips_masters_who_are_busy_off_or_not_working(salon, service, team):
    start = next_monday_at(10)
    book(salon, service, start, master=team["Ada"])
    factories.TimeOffFactory(master=team["Bea"], start_ts=start - timedelta(hours=1), end_ts=start + timedelta(hours=5))
    assert book(salon, service, start).master.name == "Zoe"
    with pytest.raises(BookingConflict):
        book(salon, service, start)
    sunday = start + timedelta(days=6)
    with pytest.raises(BookingConflict):
        book(salon, service, sunday)  # nobody works on Sunday


def test_bot_bookings_record_the_bot_as_actor(salon, service, team):
    booking = services.create_booking(
        actor=None,
        actor_kind=ActorKind.BOT,
        salon=salon,
        service=service,
        start_ts=next_monday_at(11),
        source=BookingSource.WHATSAPP,
        customer_phone="+491701234567",
    )
    event = BookingEvent.objects.get(booking=booking)
    assert event.actor is None and event.actor_kind == "bot" and event.event == "created"
    assert booking.source == "whatsapp" and booking.customer.phone == "+491701234567"


def test_enforce_availability_refuses_an_interval_that_was_not_offered(salon, service, team):
    lunch = next_monday_at(13)
    with pytest.raises(BookingConflict):
        book(salon, service, lunch, master=team["Ada"], enforce_availability=True)
    off_grid = next_monday_at(10, 7)
    with pytest.raises(BookingConflict):
        book(salon, service, off_grid, master=team["Ada"], enforce_availability=True)
