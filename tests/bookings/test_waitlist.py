"""The waiting list's rules: who joins, what freed time is, who is offered what, who gets it."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bookings import holds, services, waitlist
from bookings.models import ActorKind, BookingSource, WaitlistEntry, WaitlistStatus
from salonbot.errors import BookingConflict, InvalidInput
from tests import factories
from tests.bookings.conftest import next_monday_at

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def monday():
    return next_monday_at(10)  # 10:00 Berlin


@pytest.fixture
def day(monday):
    return monday.astimezone(BERLIN).date()


def customers(salon, count):
    return [factories.CustomerFactory(salon=salon, name=f"Waiting {n}") for n in range(count)]


def book(salon, service, master, start, customer=None):
    return factories.BookingFactory(salon=salon, service=service, master=master, start_ts=start, customer=customer)


def cancel(booking):
    return services.transition_booking(actor=None, actor_kind=ActorKind.SYSTEM, booking=booking, action="cancel")


def join(salon, customer, service, day, **kw):
    return waitlist.join_waitlist(salon=salon, customer=customer, service=service, day=day, **kw)


def test_joining_twice_is_one_entry_and_the_list_per_customer_is_capped(salon, service, master, day):
    (customer,) = customers(salon, 1)
    first = join(salon, customer, service, day, part="evening")
    assert join(salon, customer, service, day, part="evening") == first
    for extra in range(1, waitlist.MAX_WAITING_PER_CUSTOMER):
        join(salon, customer, service, day + timedelta(days=extra))
    with pytest.raises(InvalidInput):
        join(salon, customer, service, day + timedelta(days=10))
    assert WaitlistEntry.objects.filter(customer=customer).count() == waitlist.MAX_WAITING_PER_CUSTOMER


def test_a_past_day_a_day_past_the_horizon_and_a_master_who_does_not_do_it_are_refused(salon, service, master):
    (customer,) = customers(salon, 1)
    today = timezone.now().astimezone(BERLIN).date()
    with pytest.raises(InvalidInput):
        join(salon, customer, service, today - timedelta(days=1))
    with pytest.raises(InvalidInput):
        join(salon, customer, service, today + timedelta(days=salon.max_advance_days + 1))
    nails = factories.MasterFactory(salon=salon, services=[factories.ServiceFactory(salon=salon)])
    with pytest.raises(InvalidInput):
        join(salon, customer, service, today, master=nails)
    with pytest.raises(InvalidInput):
        join(salon, customer, service, today, part="night")


def test_a_cancellation_frees_its_time_and_a_reschedule_frees_the_old_time(salon, service, master, monday):
    booking = book(salon, service, master, monday)
    services.reschedule_booking(actor=None, booking=booking, notes="window seat")
    assert waitlist.freed_time(booking_id=booking.pk, event="rescheduled") is None  # no time changed
    services.reschedule_booking(actor=None, booking=booking, start_ts=monday + timedelta(hours=4))
    freed = waitlist.freed_time(booking_id=booking.pk, event="rescheduled")
    assert (freed.master, freed.start_ts, freed.end_ts) == (master, monday, monday + timedelta(hours=1))
    cancel(booking)
    freed = waitlist.freed_time(booking_id=booking.pk, event="cancelled")
    assert freed.start_ts == monday + timedelta(hours=4)
    assert waitlist.freed_time(booking_id=booking.pk, event="created") is None


def test_offers_go_in_join_order_each_with_a_start_that_fits_them(salon, service, master, monday, day):
    short = factories.ServiceFactory(salon=salon, name="Fringe", duration_minutes=30)
    master.services.add(short)
    other_master = factories.MasterFactory(salon=salon, services=[service], name="Zoe")
    booking = book(salon, service, master, monday)
    late, early, evening, elsewhere, other_day, fringe, nails = customers(salon, 7)
    join(salon, early, service, day)
    join(salon, late, service, day)
    join(salon, evening, service, day, part="evening")  # 10:00 is the morning: not theirs
    join(salon, elsewhere, service, day, master=other_master)  # waits for Zoe
    join(salon, other_day, service, day + timedelta(days=1))
    join(salon, fringe, short, day, part="morning")
    nails_service = factories.ServiceFactory(salon=salon, name="Nails")
    factories.MasterFactory(salon=salon, services=[nails_service])
    join(salon, nails, nails_service, day)  # Anna does not do nails
    cancel(booking)
    offers = waitlist.offers_for(waitlist.freed_time(booking_id=booking.pk, event="cancelled"))
    assert [(o.entry.customer, o.master, o.start_ts) for o in offers] == [
        (early, master, monday),
        (late, master, monday),
        (fringe, master, monday),
    ]


def test_a_freed_time_held_by_someone_is_not_offered(salon, service, master, monday, day):
    booking = book(salon, service, master, monday)
    (waiting,) = customers(salon, 1)
    join(salon, waiting, service, day)
    cancel(booking)
    holds.hold_slot(salon=salon, service=service, master=master, start_ts=monday, holder="conversation:x")
    assert waitlist.offers_for(waitlist.freed_time(booking_id=booking.pk, event="cancelled")) == []


def test_the_first_claim_books_and_the_second_is_a_conflict_that_keeps_its_place(salon, service, master, monday, day):
    booking = book(salon, service, master, monday)
    first, second = customers(salon, 2)
    entries = [join(salon, c, service, day) for c in (first, second)]
    cancel(booking)
    entry, won = waitlist.claim_offer(entry_id=entries[1].pk, customer=second, master=master, start_ts=monday)
    assert entry.status == WaitlistStatus.BOOKED and won.customer == second and won.source == BookingSource.WHATSAPP
    with pytest.raises(BookingConflict):
        waitlist.claim_offer(entry_id=entries[0].pk, customer=first, master=master, start_ts=monday)
    assert WaitlistEntry.objects.get(pk=entries[0].pk).status == WaitlistStatus.WAITING
    with pytest.raises(waitlist.WaitlistEntryClosed):
        waitlist.claim_offer(entry_id=entries[1].pk, customer=second, master=master, start_ts=monday)
    with pytest.raises(waitlist.WaitlistEntryClosed):  # someone else's entry is not theirs to claim
        waitlist.claim_offer(entry_id=entries[0].pk, customer=second, master=master, start_ts=monday)
    with pytest.raises(InvalidInput):
        waitlist.claim_offer(entry_id=entries[0].pk, customer=first, master=master, start_ts=monday + timedelta(days=1))


def test_entries_expire_after_their_day_in_their_salons_zone(salon, service, master):
    (customer,) = customers(salon, 1)
    today = timezone.now().astimezone(BERLIN).date()
    entry = join(salon, customer, service, today)
    assert waitlist.expire_waitlist() == 0
    assert waitlist.expire_waitlist(now=timezone.now() + timedelta(days=1)) == 1
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.EXPIRED


def test_removing_takes_the_entry_off_and_a_booked_one_stays_booked(salon, service, master, monday, day):
    first, second = customers(salon, 2)
    removed = waitlist.remove_from_waitlist(entry=join(salon, first, service, day))
    assert removed.status == WaitlistStatus.REMOVED
    booking = book(salon, service, master, monday)
    entry = join(salon, second, service, day)
    cancel(booking)
    waitlist.claim_offer(entry_id=entry.pk, customer=second, master=master, start_ts=monday)
    with pytest.raises(waitlist.WaitlistEntryClosed):
        waitlist.remove_from_waitlist(entry=entry)
