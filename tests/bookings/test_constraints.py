from datetime import timedelta

import pytest
from django.db import IntegrityError, connection

from bookings.models import Booking, BookingStatus
from tests import factories
from tests.bookings.conftest import next_monday_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    salon = factories.SalonFactory()
    master = factories.MasterFactory(salon=salon)
    return salon, master, next_monday_at(10)


def raw_booking(salon, master, start, minutes=60, **extra):
    return Booking.objects.create(
        salon=salon, master=master, start_ts=start, end_ts=start + timedelta(minutes=minutes), **extra
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint exists on PostgreSQL only")
def test_constraint_rejects_an_overlap_written_past_the_service(setup):
    salon, master, start = setup
    raw_booking(salon, master, start)
    raw_booking(salon, master, start + timedelta(minutes=60))  # adjacency is fine: half-open ranges
    with pytest.raises(IntegrityError, match="booking_no_overlap_per_master"):
        raw_booking(salon, master, start + timedelta(minutes=30))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint exists on PostgreSQL only")
def test_constraint_ignores_inactive_statuses(setup):
    salon, master, start = setup
    raw_booking(salon, master, start, status=BookingStatus.CANCELLED)
    raw_booking(salon, master, start, status=BookingStatus.COMPLETED)
    raw_booking(salon, master, start)
    assert Booking.objects.count() == 3


def test_end_must_follow_start_in_the_database(setup):
    salon, master, start = setup
    with pytest.raises(IntegrityError):
        raw_booking(salon, master, start, minutes=0)


def test_status_cannot_be_assigned_directly(setup):
    salon, master, start = setup
    booking = raw_booking(salon, master, start)
    with pytest.raises(AttributeError):
        booking.status = BookingStatus.COMPLETED


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint exists on PostgreSQL only")
def test_constraint_violation_maps_to_booking_conflict(setup):
    from bookings.services import _save_guarded
    from salonbot.errors import BookingConflict

    salon, master, start = setup
    raw_booking(salon, master, start)
    clash = Booking(
        salon=salon, master=master, start_ts=start + timedelta(minutes=15), end_ts=start + timedelta(minutes=45)
    )
    with pytest.raises(BookingConflict):
        _save_guarded(clash, force_insert=True)
