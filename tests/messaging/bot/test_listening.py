"""The bot keeps what was said: the issue's transcripts, word for word, in English and Russian.

Each test is one problem a customer hit in `manage.py chat` (issue 15), replayed through the real
webhook; the salon is the demo's (Anna and Olga cut hair, Maria does nails), open 09:00–20:00.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from bookings.models import Booking
from messaging.bot import texts
from tests.messaging.bot.conftest import options, text_of
from tests.messaging.bot.helpers import local_at

pytestmark = pytest.mark.django_db


def titles(body):
    return [title for _id, title in options(body)]


def today(salon):
    return timezone.now().astimezone(ZoneInfo(salon.timezone)).date()


def coming(salon, weekday: int):
    """The day a bare weekday name means: today if it is that day (the salon's day is all ahead)."""
    day = today(salon)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def label(salon, day) -> str:
    with translation.override(salon.language):
        return texts.day_label(day)


# --- "can I come friday evening?" -------------------------------------------------------------


def test_friday_evening_is_kept_while_the_service_is_asked(demo_chat, salon):
    chat, friday = demo_chat, coming(salon, 4)
    chat.say("can I come friday evening?")
    assert text_of(chat.last) == "Which service would you like?"
    chat.choose_title("Haircut")
    # Friday evening's times at once: not the days from today, not the morning.
    assert text_of(chat.last) == f"Free times on {label(salon, friday)} in the evening. Which one suits you?"
    assert titles(chat.last)[:2] == ["17:00", "17:15"] and titles(chat.last)[-1] == "19:15"
    chat.choose_title("18:00")
    assert text_of(chat.last).startswith("Please check your booking:\nHaircut, 45 min, €35.00")
    chat.choose_title("Confirm")
    assert Booking.objects.get().start_ts == local_at(salon, (friday - today(salon)).days, 18)


def test_russian_friday_evening_is_kept_while_the_service_is_asked(ru_demo_chat, salon):
    chat, friday = ru_demo_chat, coming(salon, 4)
    chat.say("можно прийти в пятницу вечером?")
    assert text_of(chat.last) == "На какую услугу вас записать?"
    chat.choose_title("Стрижка")
    assert text_of(chat.last) == f"Свободное время на {label(salon, friday)} вечером. Какое вам подходит?"
    assert titles(chat.last)[0] == "17:00"


# --- "...next week, preferably in the afternoon..." -------------------------------------------


LONG_EN = (
    "Hi there! I was wondering if I could get a haircut sometime next week, preferably in the afternoon, "
    "because I work until noon most days. Thank you so much!"
)
LONG_RU = (
    "Добрый день! Хотела бы записаться на стрижку на следующей неделе, желательно после обеда, "
    "потому что до обеда я на работе. Заранее спасибо!"
)


@pytest.mark.parametrize(("fixture", "message", "afternoon"), [("demo_chat", LONG_EN, "in the afternoon")])
def test_next_week_in_the_afternoon_offers_next_weeks_days_then_afternoons(fixture, message, afternoon, request, salon):
    chat = request.getfixturevalue(fixture)
    monday = today(salon) + timedelta(days=7 - today(salon).weekday())
    chat.say(message)
    assert text_of(chat.last) == "Which day would you like for Haircut?"
    days = titles(chat.last)
    assert days[0] == label(salon, monday)  # not today, not tomorrow
    chat.choose(1)
    assert text_of(chat.last) == f"Free times on {label(salon, monday)} {afternoon}. Which one suits you?"
    assert titles(chat.last)[0] == "12:00"  # not 09:00


def test_russian_next_week_in_the_afternoon(ru_demo_chat, salon):
    chat = ru_demo_chat
    monday = today(salon) + timedelta(days=7 - today(salon).weekday())
    chat.say(LONG_RU)
    assert text_of(chat.last) == "На какой день записать на услугу «Стрижка»?"
    assert titles(chat.last)[0] == label(salon, monday)
    chat.choose(1)
    assert text_of(chat.last) == f"Свободное время на {label(salon, monday)} днём. Какое вам подходит?"
    assert titles(chat.last)[0] == "12:00"


# --- "haircut with Maria tomorrow at 10" (Maria does not cut hair) --------------------------------


def test_a_master_who_does_not_do_it_keeps_tomorrow_at_ten(demo_chat, salon, demo):
    (haircut, *_), (_anna, _maria, olga) = demo
    chat = demo_chat
    chat.say("haircut with Maria tomorrow at 10")
    assert text_of(chat.last) == "Sorry, Maria does not do Haircut.\n\nWho would you like for Haircut?"
    assert titles(chat.last) == ["Any master", "Anna", "Olga"]
    chat.choose_title("Olga")
    # Straight to the confirmation: tomorrow at 10 was not forgotten.
    body = text_of(chat.last)
    assert body.startswith("Please check your booking:\nHaircut, 45 min, €35.00\nwith Olga\n") and "10:00" in body
    chat.choose_title("Confirm")
    booking = Booking.objects.get()
    assert (booking.master, booking.service, booking.start_ts) == (olga, haircut, local_at(salon, 1, 10))


def test_russian_a_master_who_does_not_do_it_keeps_tomorrow_at_ten(ru_demo_chat, salon, ru_demo):
    olga = ru_demo[1][2]
    chat = ru_demo_chat
    chat.say("стрижка к Марии завтра в 10")
    assert text_of(chat.last) == (
        "Извините, мастер Мария не выполняет услугу «Стрижка».\n\nК какому мастеру записать на услугу «Стрижка»?"
    )
    assert titles(chat.last) == ["Любой мастер", "Анна", "Ольга"]
    chat.choose_title("Ольга")
    assert text_of(chat.last).startswith("Проверьте, пожалуйста, запись:") and "10:00" in text_of(chat.last)
    chat.say("да")
    assert Booking.objects.get().master == olga


# --- corrections replace one piece ---------------------------------------------------------------


def test_not_anna_olga_replaces_only_the_master(demo_chat, salon, demo):
    (_, (_anna, _maria, olga)) = demo
    chat = demo_chat
    chat.say("haircut with Anna tomorrow at 11")
    assert "with Anna" in text_of(chat.last) and "11:00" in text_of(chat.last)
    chat.say("not Anna, Olga")
    assert "with Olga" in text_of(chat.last) and "11:00" in text_of(chat.last)
    chat.say("make it 4")
    body = text_of(chat.last)
    with translation.override("en"):
        tomorrow = texts.when(local_at(salon, 1, 16), salon.timezone)
    assert "with Olga" in body and tomorrow in body
    chat.say("yes")
    booking = Booking.objects.get()
    assert (booking.master, booking.start_ts) == (olga, local_at(salon, 1, 16))


def test_russian_corrections_replace_only_that_piece(ru_demo_chat, salon, ru_demo):
    olga = ru_demo[1][2]
    chat = ru_demo_chat
    chat.say("стрижка к Анне завтра в 11")
    chat.say("не к Анне, а к Ольге")
    assert "мастер: Ольга" in text_of(chat.last) and "11:00" in text_of(chat.last)
    chat.say("давай в 4")
    assert "16:00" in text_of(chat.last)
    chat.say("да")
    booking = Booking.objects.get()
    assert (booking.master, booking.start_ts) == (olga, local_at(salon, 1, 16))


def test_asking_for_a_missing_piece_keeps_the_others(demo_chat, salon):
    chat = demo_chat
    chat.say("tomorrow at 3pm with Olga")
    assert text_of(chat.last) == "Which service would you like with Olga?"
    chat.choose_title("Manicure")
    body = text_of(chat.last)
    assert body.startswith("Please check your booking:\nManicure") and "with Olga" in body and "15:00" in body
