"""Slot holds: kept for their holder, busy for everyone else, gone by their timestamp alone."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bookings import holds, services, slots
from bookings.models import Booking, SlotHold
from salonbot.errors import BookingConflict
from tests import factories
from tests.bookings.conftest import booking_body, next_monday_at

pytestmark = pytest.mark.django_db

HOLDER = "conversation:aaaa"


def book(salon, service, start, master=None, **kw):
    return factories.BookingFactory(salon=salon, service=service, master=master, start_ts=start, **kw)


def hold(salon, service, start, master=None, holder=HOLDER, **kw):
    return holds.hold_slot(salon=salon, service=service, master=master, start_ts=start, holder=holder, **kw)


def day_starts(salon, service, start, **kw):
    day = start.astimezone(ZoneInfo(salon.timezone)).date()
    return [s for s, _ in slots.salon_slots(salon=salon, service=service, days=[day], **kw)[day]]


def test_a_hold_lasts_the_salons_hold_minutes_and_the_services_length(salon, service, master):
    salon.hold_minutes = 7
    salon.save()
    start = next_monday_at(10)
    before = timezone.now()
    held = hold(salon, service, start, master)
    assert (held.master, held.start_ts, held.end_ts) == (master, start, start + timedelta(minutes=60))
    assert before + timedelta(minutes=7) <= held.expires_at <= timezone.now() + timedelta(minutes=7)


def test_a_held_slot_is_busy_for_everyone_but_its_holder(salon, service, master):
    start = next_monday_at(10)
    hold(salon, service, start, master)
    assert start not in day_starts(salon, service, start)
    assert start + timedelta(minutes=30) not in day_starts(salon, service, start)  # overlapping starts too
    assert start in day_starts(salon, service, start, holder=HOLDER)
    with pytest.raises(BookingConflict):
        book(salon, service, start, master)
    with pytest.raises(BookingConflict):
        book(salon, service, start)  # any master: the only one is held
    with pytest.raises(BookingConflict):
        hold(salon, service, start + timedelta(minutes=30), master, holder="conversation:other")


def test_the_api_answers_409_for_a_held_slot_and_hides_it_from_availability(api, salon, service, master):
    start = next_monday_at(10)
    hold(salon, service, start, master)
    response = api.post("/api/bookings", booking_body(salon, master, service, start), format="json")
    assert response.status_code == 409 and response.json()["code"] == "booking_conflict"
    assert response.json()["detail"].startswith("That time is held for a customer")
    body = api.get(
        f"/api/salons/{salon.pk}/availability", {"date": start.date().isoformat(), "service_id": service.pk}
    ).json()
    assert start.isoformat().replace("+00:00", "Z") not in [s["start"] for s in body["slots"]]


def test_any_master_passes_over_a_held_master(salon, service, master):
    other = factories.MasterFactory(salon=salon, services=[service], name="Zoe")
    start = next_monday_at(10)
    hold(salon, service, start, master)
    assert book(salon, service, start).master == other


def test_confirming_turns_the_hold_into_the_booking(salon, service, master):
    start = next_monday_at(10)
    hold(salon, service, start, master)
    booking = book(salon, service, start, master, holder=HOLDER)
    assert booking.master == master and not SlotHold.objects.exists()


def test_any_master_confirmed_books_the_master_that_was_held(salon, service, master):
    factories.MasterFactory(salon=salon, services=[service], name="Ada")  # would win "least busy, by name"
    start = next_monday_at(10)
    held = hold(salon, service, start)
    assert book(salon, service, start, holder=HOLDER).master == held.master


def test_an_expired_hold_frees_the_slot_without_any_task(salon, service, master):
    start = next_monday_at(10)
    hold(salon, service, start, master)
    SlotHold.objects.update(expires_at=timezone.now() - timedelta(seconds=1))  # the minutes passed
    assert start in day_starts(salon, service, start)
    assert book(salon, service, start, master).master == master
    assert SlotHold.objects.count() == 1  # nothing had to delete it


def test_a_new_hold_of_the_same_holder_replaces_the_old_one(salon, service, master):
    start = next_monday_at(10)
    hold(salon, service, start, master)
    hold(salon, service, start + timedelta(hours=2), master)
    assert list(SlotHold.objects.values_list("start_ts", flat=True)) == [start + timedelta(hours=2)]
    assert book(salon, service, start, master).start_ts == start


def test_nothing_can_be_held_on_a_booked_time(salon, service, master):
    start = next_monday_at(10)
    book(salon, service, start, master)
    with pytest.raises(BookingConflict):
        hold(salon, service, start + timedelta(minutes=15), master)
    assert not SlotHold.objects.exists()


def test_release_frees_the_slot_at_once(salon, service, master):
    start = next_monday_at(10)
    hold(salon, service, start, master)
    assert holds.release_holds(holder=HOLDER) == 1
    assert start in day_starts(salon, service, start)


def test_a_reschedule_into_someone_elses_hold_is_a_conflict_and_the_holder_may_move(salon, service, master):
    start = next_monday_at(10)
    mine = book(salon, service, start, master)
    later = start + timedelta(hours=2)
    hold(salon, service, later, master, holder="conversation:other")
    with pytest.raises(BookingConflict):
        services.reschedule_booking(actor=None, booking=mine, start_ts=later)
    holds.release_holds(holder="conversation:other")
    # The customer moving their own booking holds the new time, excluding their booking's own.
    half_later = start + timedelta(minutes=30)
    hold(salon, service, half_later, master, exclude_booking=mine.pk)
    moved = services.reschedule_booking(actor=None, booking=mine, start_ts=half_later, holder=HOLDER)
    assert moved.start_ts == half_later and not SlotHold.objects.exists()
    assert Booking.objects.get().start_ts == half_later


def test_purge_drops_only_long_expired_holds(salon, service, master):
    start = next_monday_at(10)
    hold(salon, service, start, master)
    hold(salon, service, start + timedelta(hours=4), master, holder="conversation:b")  # after lunch
    SlotHold.objects.filter(holder=HOLDER).update(expires_at=timezone.now() - timedelta(days=2))
    assert holds.purge_expired_holds() == 1
    assert list(SlotHold.objects.values_list("holder", flat=True)) == ["conversation:b"]


def test_the_admin_calendar_shows_a_live_hold_greyed(salon, service, master, owner):
    from django.test import Client

    from tests.factories import PASSWORD

    start = next_monday_at(10)
    hold(salon, service, start, master)
    client = Client()
    assert client.login(email=owner.email, password=PASSWORD)
    day = start.astimezone(ZoneInfo(salon.timezone)).date().isoformat()
    page = client.get(f"/admin/bookings/booking/calendar/?salon={salon.pk}&date={day}").content.decode()
    assert page.count('class="cell cell-held') == 4  # 10:00–11:00 on the 15-minute grid
    SlotHold.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    page = client.get(f"/admin/bookings/booking/calendar/?salon={salon.pk}&date={day}").content.decode()
    assert 'class="cell cell-held' not in page


def test_the_admin_cannot_book_over_a_live_hold_and_says_why(salon, service, master, owner):
    from django.test import Client

    from tests.bookings.test_admin import form_data
    from tests.factories import PASSWORD

    start = next_monday_at(10)
    hold(salon, service, start, master)
    client = Client()
    assert client.login(email=owner.email, password=PASSWORD)
    local = start.astimezone(ZoneInfo(salon.timezone))
    response = client.post("/admin/bookings/booking/add/", form_data(salon, master, service, local))
    assert response.status_code == 200  # the form again, with the refusal on it; not a 500
    assert "held for a customer who is confirming it in a chat" in response.content.decode()
    assert not Booking.objects.exists()
