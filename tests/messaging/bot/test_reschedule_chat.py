"""Moving a booking by chat: "move my booking to Friday" → the new time, held → moved."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bookings.models import ActorKind, BookingEvent, SlotHold
from salons.models import Customer
from tests import factories
from tests.messaging.bot.conftest import options, text_of
from tests.messaging.bot.helpers import local_at

pytestmark = pytest.mark.django_db


def titles(body):
    return [title for _id, title in options(body)]


def book(salon, service, master, start):
    return factories.BookingFactory(
        salon=salon, service=service, master=master, start_ts=start, customer=Customer.objects.get()
    )


def days_until_friday(salon) -> int:
    today = timezone.now().astimezone(ZoneInfo(salon.timezone)).date()
    return (4 - today.weekday()) % 7


def test_move_my_booking_to_friday(demo_chat, salon, demo):
    (haircut, *_), (anna, *_) = demo
    demo_chat.say("hi")
    friday = days_until_friday(salon)
    mine = book(salon, haircut, anna, local_at(salon, friday + 1, 10))  # the day after Friday
    demo_chat.say("move my booking to Friday")
    body = text_of(demo_chat.last)
    assert body.startswith(f"Moving booking {mine.code} (Haircut, now ")
    assert body.endswith("Which part of the day suits you?")
    demo_chat.choose_title("Evening (10)")
    demo_chat.choose_title("18:00")
    assert text_of(demo_chat.last).startswith(f"Move booking {mine.code}, Haircut with Anna,\nfrom ")
    assert titles(demo_chat.last) == ["Move it", "Change"]
    assert SlotHold.objects.get().start_ts == local_at(salon, friday, 18)  # held while they decide
    demo_chat.choose_title("Move it")
    assert text_of(demo_chat.last).startswith(f"Done! Booking {mine.code} is now on ")
    mine.refresh_from_db()
    assert mine.start_ts == local_at(salon, friday, 18) and not SlotHold.objects.exists()
    moved = BookingEvent.objects.get(booking=mine, event="rescheduled")
    assert moved.actor_kind == ActorKind.BOT


def test_russian_move_my_booking_to_friday(ru_demo_chat, salon, ru_demo):
    (haircut, *_), (anna, *_) = ru_demo
    ru_demo_chat.say("привет")
    friday = days_until_friday(salon)
    mine = book(salon, haircut, anna, local_at(salon, friday + 1, 10))
    ru_demo_chat.say("перенесите мою запись на пятницу в 18")
    assert titles(ru_demo_chat.last) == ["Перенести", "Изменить"]
    ru_demo_chat.say("да")
    mine.refresh_from_db()
    assert mine.start_ts == local_at(salon, friday, 18)
    assert text_of(ru_demo_chat.last).startswith(f"Готово! Запись {mine.code} перенесена")


def test_with_several_bookings_the_customer_picks_which(demo_chat, salon, demo):
    (haircut, manicure, _), (anna, maria, _olga) = demo
    demo_chat.say("hi")
    first = book(salon, haircut, anna, local_at(salon, 8, 10))
    second = book(salon, manicure, maria, local_at(salon, 9, 10))
    demo_chat.say("can I reschedule to the day after tomorrow at 11?")
    assert text_of(demo_chat.last).startswith("Which booking shall I move?")
    assert [row_id for row_id, _ in options(demo_chat.last)] == [f"mvb:{first.pk}", f"mvb:{second.pk}"]
    demo_chat.choose(2)
    assert text_of(demo_chat.last).startswith(f"Moving booking {second.code}")
    assert titles(demo_chat.last) == ["Move it", "Change"]  # the day and time said are kept
    demo_chat.choose_title("Move it")
    second.refresh_from_db()
    assert second.start_ts == local_at(salon, 2, 11)


def test_a_move_into_its_own_time_window_is_fine(demo_chat, salon, demo):
    (haircut, *_), (anna, *_) = demo
    demo_chat.say("hi")
    mine = book(salon, haircut, anna, local_at(salon, 1, 10))
    demo_chat.say("move my booking to 10:30 tomorrow")  # overlaps its own old time: not a conflict
    demo_chat.choose_title("Move it")
    mine.refresh_from_db()
    assert mine.start_ts == local_at(salon, 1, 10) + timedelta(minutes=30)


def test_nothing_to_move(demo_chat):
    demo_chat.say("move my booking to friday")
    assert text_of(demo_chat.last) == "You have no upcoming bookings to move."
