"""My bookings and cancelling by chat: every upcoming booking with a cancel row, asked once more."""

import pytest

from bookings.models import ActorKind, Booking, BookingEvent, BookingSource, BookingStatus, ReminderStatus
from bookings.services import create_booking
from messaging.bot import ids
from tests.messaging.bot.conftest import options, text_of
from tests.messaging.bot.helpers import book_elsewhere, local_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(chat, shop, salon):
    """The chatting customer's two upcoming bookings (made by the salon, for their customer row)."""
    (haircut, manicure), (anna, bea) = shop
    chat.say("hi")
    customer = chat.conversation().customer
    return [
        create_booking(
            actor=None,
            actor_kind=ActorKind.SYSTEM,
            salon=salon,
            service=service,
            master=master,
            start_ts=local_at(salon, days, 10),
            source=BookingSource.API,
            customer=customer,
        )
        for service, master, days in ((haircut, anna, 2), (manicure, bea, 3))
    ]


def test_my_bookings_lists_each_with_a_cancel_row_and_cancelling_asks_once_more(chat, booked):
    first, second = booked
    chat.choose_title("My bookings")
    body = text_of(chat.last)
    assert body.startswith("Your upcoming bookings:") and first.code in body and second.code in body
    rows = chat.last["interactive"]["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == [f"cxl:{first.pk}", f"cxl:{second.pk}"]
    assert rows[0]["description"].startswith("Cancel · Haircut · Anna")

    chat.choose(1)
    assert text_of(chat.last).startswith(f"Cancel booking {first.code}: Haircut with Anna")
    assert [t for _i, t in options(chat.last)] == ["Yes, cancel it", "No, keep it"]
    first.refresh_from_db()
    assert first.status == BookingStatus.CONFIRMED  # nothing happens before the second answer

    chat.choose_title("Yes, cancel it")
    first.refresh_from_db()
    assert first.status == BookingStatus.CANCELLED
    assert first.cancellation_reason == "Cancelled by the customer on WhatsApp"
    assert BookingEvent.objects.get(booking=first, event="cancelled").actor_kind == ActorKind.BOT
    assert not first.reminders.filter(status=ReminderStatus.PENDING).exists()
    assert text_of(chat.last) == f"Booking {first.code} is cancelled."
    second.refresh_from_db()
    assert second.status == BookingStatus.CONFIRMED


def test_no_keeps_the_booking(chat, booked):
    first, _ = booked
    chat.say("my bookings")
    chat.choose(1)
    chat.choose_title("No, keep it")
    first.refresh_from_db()
    assert first.status == BookingStatus.CONFIRMED
    assert text_of(chat.last) == f"Fine, booking {first.code} stays as it is."


def test_cancel_in_words_with_one_booking_asks_about_it_directly(chat, booked):
    first, second = booked
    second.delete()
    chat.say("I need to cancel my appointment")
    assert text_of(chat.last).startswith(f"Cancel booking {first.code}")
    chat.say("yes")
    first.refresh_from_db()
    assert first.status == BookingStatus.CANCELLED


def test_yes_tapped_twice_says_cancelled_again(chat, booked):
    first, _ = booked
    chat.say("my bookings")
    chat.choose(1)
    yes_id, yes_title = options(chat.last)[0]
    chat.tap(yes_id, yes_title)
    chat.tap(yes_id, yes_title)
    assert text_of(chat.last) == f"Booking {first.code} is cancelled."
    assert BookingEvent.objects.filter(booking=first, event="cancelled").count() == 1


def test_without_bookings_the_bot_says_so(chat):
    chat.say("my bookings")
    assert text_of(chat.last) == "You have no upcoming bookings."
    assert [t for _i, t in options(chat.last)] == ["Book a visit", "Talk to a person"]


def test_someone_elses_booking_cannot_be_cancelled_from_this_chat(chat, shop, salon):
    (haircut, _), (anna, _) = shop
    theirs = book_elsewhere(salon, haircut, anna, local_at(salon, 2, 12))
    chat.say("hi")
    chat.tap(ids.cancel(theirs.pk, "yes"), "Yes, cancel it")
    theirs.refresh_from_db()
    assert theirs.status == BookingStatus.CONFIRMED
    assert text_of(chat.last).startswith("Sorry, that choice is no longer available.")


def test_a_booking_made_in_the_chat_can_be_cancelled_in_the_chat(chat, shop):
    chat.say("haircut tomorrow at 10am")
    chat.choose_title("Confirm")
    chat.say("cancel")
    chat.choose_title("Yes, cancel it")
    assert Booking.objects.get().status == BookingStatus.CANCELLED
