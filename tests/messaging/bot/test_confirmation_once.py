"""A booking made in the chat is confirmed once, by the bot's own "booked" message."""

import pytest

from bookings.models import ActorKind, Booking, BookingSource
from bookings.services import create_booking
from messaging.models import Direction, Message
from messaging.services.confirmations import queue_booking_confirmation
from tests.messaging.bot.conftest import text_of
from tests.messaging.bot.helpers import local_at

pytestmark = pytest.mark.django_db


def test_the_booked_message_is_the_confirmation(chat):
    chat.say("haircut tomorrow at 10am with Bea")
    chat.choose_title("Confirm")
    booking = Booking.objects.get()
    booked = Message.objects.get(direction=Direction.OUT, idempotency_key=f"booking-confirmation:{booking.pk}")
    assert booking.code in booked.text and booked.text.startswith("Booked!")
    # The booking_changed receiver ran after commit and found it; running it again sends nothing.
    assert queue_booking_confirmation(booking_id=booking.pk) == booked
    assert Message.objects.filter(direction=Direction.OUT).count() == 2  # the confirm step, the booked message
    assert len(chat.sent) == 2


def test_a_booking_the_salon_makes_for_the_chatting_customer_still_gets_the_generic_confirmation(
    chat, shop, salon, django_capture_on_commit_callbacks
):
    (haircut, _), (anna, _) = shop
    chat.say("hi")
    with django_capture_on_commit_callbacks(execute=True):
        booking = create_booking(
            actor=None,
            actor_kind=ActorKind.SYSTEM,
            salon=salon,
            service=haircut,
            master=anna,
            start_ts=local_at(salon, 2, 10),
            source=BookingSource.API,
            customer=chat.conversation().customer,
        )
    assert text_of(chat.last).startswith(f"Your booking {booking.code} is confirmed")
