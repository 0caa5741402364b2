"""The short ways to a booking: a returning customer in at most 5 taps, a full request in 2 messages,
and a busy day by morning, afternoon and evening instead of pages of 15-minute starts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.models import ActorKind, Booking, BookingSource, BookingStatus
from bookings.services import create_booking, transition_booking
from messaging.models import Direction, Message
from salons.models import Customer
from tests.messaging.bot.conftest import options, text_of
from tests.messaging.bot.helpers import local_at

pytestmark = pytest.mark.django_db


def titles(body):
    return [title for _id, title in options(body)]


def customer_messages() -> int:
    return Message.objects.filter(direction=Direction.IN).count()


def visited_yesterday(salon, service, master):
    """The customer came yesterday: a completed booking, as the salon's records have it."""
    customer = Customer.objects.get()
    booking = create_booking(
        actor=None,
        actor_kind=ActorKind.SYSTEM,
        salon=salon,
        service=service,
        master=master,
        start_ts=timezone.now() - timedelta(hours=20),
        source=BookingSource.ADMIN,
        customer=customer,
    )
    for action in ("start", "complete"):
        transition_booking(actor=None, actor_kind=ActorKind.SYSTEM, booking=booking, action=action)


@pytest.mark.parametrize(
    ("fixture", "greeting", "again", "evening", "confirm"),
    [
        ("demo_chat", "hi", "Haircut · Anna", "Evening (10)", "Confirm"),
        ("ru_demo_chat", "привет", "Стрижка · Анна", "Вечер (10)", "Подтвердить"),
    ],
)
def test_a_returning_customer_books_from_hi_in_five_taps(fixture, greeting, again, evening, confirm, request, salon):
    chat = request.getfixturevalue(fixture)
    services, masters = request.getfixturevalue("demo" if fixture == "demo_chat" else "ru_demo")
    visited_yesterday(salon, services[0], masters[0])

    chat.say(greeting)
    assert titles(chat.last)[0] == again
    chat.choose_title(again)  # 1: the last booking's service and master
    chat.choose(2)  # 2: tomorrow
    assert titles(chat.last)[2] == evening
    chat.choose_title(evening)  # 3: the evening (10 starts at once, no "More…")
    assert titles(chat.last)[0] == "17:00" and len(options(chat.last)) == 10
    chat.choose_title("18:30")  # 4
    chat.choose_title(confirm)  # 5

    assert chat.taps == 5 and customer_messages() == 6
    booking = Booking.objects.get(status=BookingStatus.CONFIRMED)
    assert (booking.service, booking.master, booking.start_ts) == (services[0], masters[0], local_at(salon, 1, 18, 30))


@pytest.mark.parametrize(
    ("fixture", "request_text", "yes"),
    [
        ("demo_chat", "haircut tomorrow at 3 with Anna", "yes"),
        ("ru_demo_chat", "стрижка завтра в 3 к Анне", "да"),
    ],
)
def test_a_full_request_books_in_two_messages(fixture, request_text, yes, request, salon):
    chat = request.getfixturevalue(fixture)
    chat.say(request_text)
    chat.say(yes)
    assert customer_messages() == 2 and chat.taps == 0
    booking = Booking.objects.get()
    assert booking.start_ts == local_at(salon, 1, 15) and booking.master.name in ("Anna", "Анна")


def test_a_busy_day_is_offered_by_part_with_counts(demo_chat, salon):
    chat = demo_chat
    chat.say("haircut with Anna tomorrow")
    assert text_of(chat.last).endswith("Which part of the day suits you?")
    # 09:00–20:00, 45 minutes on a 15-minute grid: 12 starts before noon, 20 until 17:00, 10 after.
    assert titles(chat.last) == ["Morning (12)", "Afternoon (20)", "Evening (10)"]
    chat.choose_title("Evening (10)")
    assert titles(chat.last) == [
        "17:00",
        "17:15",
        "17:30",
        "17:45",
        "18:00",
        "18:15",
        "18:30",
        "18:45",
        "19:00",
        "19:15",
    ]


def test_a_day_with_few_starts_lists_them_at_once(demo_chat, salon, demo):
    (haircut, *_), (anna, *_) = demo
    from tests.messaging.bot.helpers import book_elsewhere

    for hour in range(9, 18):  # Anna is booked 09:00–17:45: seven starts are left
        book_elsewhere(salon, haircut, anna, local_at(salon, 1, hour), phone=f"+4917099{hour:05d}")
    chat = demo_chat
    chat.say("haircut with Anna tomorrow")
    assert text_of(chat.last).startswith("Free times on")
    assert titles(chat.last) == ["17:45", "18:00", "18:15", "18:30", "18:45", "19:00", "19:15"]


def test_a_full_part_says_so_offers_the_other_parts_and_the_waiting_list(demo_chat, salon, demo):
    (haircut, *_), (anna, _maria, _olga) = demo
    from tests.messaging.bot.helpers import book_elsewhere

    for start in (local_at(salon, 1, 17), local_at(salon, 1, 18), local_at(salon, 1, 19)):
        book_elsewhere(salon, haircut, anna, start, phone=f"+49170{start.hour:07d}")
    chat = demo_chat
    chat.say("haircut with Anna tomorrow evening")
    body = text_of(chat.last)
    assert body.startswith("Sorry, nothing is free on") and "in the evening." in body
    assert titles(chat.last) == ["Morning (12)", "Afternoon (18)", "Notify me if freed"]
