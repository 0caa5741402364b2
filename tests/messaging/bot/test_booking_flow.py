"""From "hi" to a confirmed booking through the real webhook (signed Meta payloads, fake Graph API)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.models import Booking, BookingSource, BookingStatus, SlotHold
from messaging.models import Direction, Message
from salonbot.errors import BookingConflict
from tests.messaging.bot.conftest import open_salon, options, text_of
from tests.messaging.bot.helpers import book_elsewhere, local_at

pytestmark = pytest.mark.django_db

RU_MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября")
RU_MONTHS += ("ноября", "декабря")


def titles(body):
    return [title for _id, title in options(body)]


def ids(body):
    return [reply_id for reply_id, _title in options(body)]


def test_hi_to_booked_through_the_menu(chat, shop):
    """No earlier booking to repeat: the whole menu path (a busy day asks the part of the day)."""
    (haircut, _manicure), (anna, _bea) = shop
    assert len(chat.say("hi")) == 1
    assert text_of(chat.last).startswith("Hello, Marta! This is the booking assistant of Studio Nord.")
    assert titles(chat.last) == ["Book a visit", "My bookings", "Talk to a person"]

    chat.choose_title("Book a visit")
    assert text_of(chat.last) == "Which service would you like?"
    assert titles(chat.last) == ["Haircut", "Manicure"]
    chat.choose_title("Haircut")
    assert text_of(chat.last) == "Who would you like for Haircut?"
    assert titles(chat.last) == ["Any master", "Anna", "Bea"]
    chat.choose_title("Anna")
    assert text_of(chat.last) == "Which day would you like for Haircut with Anna?"
    chat.choose(2)
    assert text_of(chat.last).endswith("Which part of the day suits you?")
    assert titles(chat.last) == ["Morning (48)", "Afternoon (20)", "Evening (24)"]
    chat.choose_title("Afternoon (20)")
    assert text_of(chat.last).startswith("Free times on") and "in the afternoon" in text_of(chat.last)
    assert titles(chat.last)[0] == "12:00"
    chat.choose(1)
    assert text_of(chat.last).startswith("Please check your booking")
    assert "Name: Marta" in text_of(chat.last)
    assert titles(chat.last) == ["Confirm", "Change"]
    replies = chat.choose_title("Confirm")

    assert chat.taps == 7
    booking = Booking.objects.get()
    assert (booking.source, booking.master, booking.service) == (BookingSource.WHATSAPP, anna, haircut)
    assert booking.customer == chat.conversation().customer is not None
    assert booking.status == BookingStatus.CONFIRMED and booking.reminders.count() >= 1
    # One message: the booked message is the confirmation, the generic one is not sent as well.
    assert len(replies) == 1 and replies[0]["type"] == "text"
    booked = text_of(chat.last)
    assert booking.code in booked and "Haircut with Anna" in booked and "€35.00" in booked
    local = booking.start_ts.astimezone(local_at(booking.salon, 0, 0).tzinfo)
    assert local.strftime("%H:%M") in booked and local.strftime("%B") in booked
    assert Message.objects.get(idempotency_key=f"booking-confirmation:{booking.pk}").direction == Direction.OUT


def test_russian_hi_to_booked_through_the_menu(ru_chat, ru_shop):
    chat = ru_chat
    chat.say("Привет")
    assert text_of(chat.last).startswith("Здравствуйте, Марта!")
    assert titles(chat.last) == ["Записаться", "Мои записи", "Позвать человека"]
    chat.choose_title("Записаться")
    assert text_of(chat.last) == "На какую услугу вас записать?"
    assert titles(chat.last) == ["Маникюр", "Стрижка"]
    assert options(chat.last) and "мин" in chat.last["interactive"]["action"]["sections"][0]["rows"][0]["description"]
    chat.choose_title("Стрижка")
    assert titles(chat.last) == ["Любой мастер", "Анна", "Мария"]
    chat.choose_title("Любой мастер")
    rows = chat.last["interactive"]["action"]["sections"][0]["rows"]
    assert rows[1]["description"] == "Завтра" and any(m in rows[1]["title"] for m in RU_MONTHS)
    chat.choose(2)
    assert titles(chat.last) == ["Утро (48)", "День (20)", "Вечер (24)"]
    chat.choose_title("Вечер (24)")
    assert text_of(chat.last).startswith("Свободное время на") and "вечером" in text_of(chat.last)
    chat.choose(1)
    assert titles(chat.last) == ["Подтвердить", "Изменить"]
    chat.choose_title("Подтвердить")

    assert chat.taps == 7
    booking = Booking.objects.get()
    booked = text_of(chat.last)
    assert booked.startswith("Вы записаны!") and booking.code in booked
    assert "1500,00 €" in booked and any(m in booked for m in RU_MONTHS)


def test_free_text_in_one_message_goes_straight_to_the_confirmation(chat, shop, salon):
    (haircut, _), (anna, _) = shop
    chat.say("Hi! Haircut tomorrow at 3pm with Anna please")
    assert titles(chat.last) == ["Confirm", "Change"]
    assert "Haircut" in text_of(chat.last) and "with Anna" in text_of(chat.last) and "15:00" in text_of(chat.last)
    chat.choose_title("Confirm")
    booking = Booking.objects.get()
    assert booking.start_ts == local_at(salon, 1, 15) and booking.master == anna and booking.service == haircut


def test_free_text_in_one_message_in_russian(ru_chat, ru_shop, salon):
    (haircut, _), (anna, _) = ru_shop
    ru_chat.say("Здравствуйте, запишите на стрижку завтра в 15 к Анне")
    assert titles(ru_chat.last) == ["Подтвердить", "Изменить"]
    ru_chat.say("да")
    booking = Booking.objects.get()
    assert booking.start_ts == local_at(salon, 1, 15) and booking.master == anna and booking.service == haircut
    assert text_of(ru_chat.last).startswith("Вы записаны!")


def test_free_text_in_two_messages(chat, shop, salon):
    (_, manicure), _ = shop
    chat.say("I'd like a manicure")
    assert text_of(chat.last) == "Which day would you like for Manicure?"  # a service alone: the day step
    chat.say("tomorrow at 11am")
    assert titles(chat.last) == ["Confirm", "Change"] and "with any free master" in text_of(chat.last)
    chat.say("yes")
    booking = Booking.objects.get()
    assert booking.service == manicure and booking.start_ts == local_at(salon, 1, 11)


def test_free_text_in_two_messages_in_russian(ru_chat, ru_shop, salon):
    (_, manicure), _ = ru_shop
    ru_chat.say("хочу на маникюр")
    assert text_of(ru_chat.last).startswith("На какой день")
    ru_chat.say("завтра в 11")
    assert titles(ru_chat.last) == ["Подтвердить", "Изменить"]
    ru_chat.say("да, подтверждаю")
    booking = Booking.objects.get()
    assert booking.service == manicure and booking.start_ts == local_at(salon, 1, 11)


def test_a_service_and_a_day_go_to_that_days_times(chat, shop, salon):
    chat.say("manicure tomorrow evening")
    assert text_of(chat.last).startswith("Free times on")
    assert titles(chat.last)[0] == "17:00"  # the evening first; earlier times are a new request away


def test_a_named_time_that_is_taken_offers_the_three_nearest(chat, shop, salon):
    (haircut, _), (anna, _) = shop
    book_elsewhere(salon, haircut, anna, local_at(salon, 1, 15))
    chat.say("haircut tomorrow at 3pm with Anna")
    assert "15:00" in text_of(chat.last) and "not free" in text_of(chat.last)
    assert len(options(chat.last)) == 3
    nearest = [t.split(", ")[-1] for t in titles(chat.last)]
    assert nearest == ["14:00", "16:00", "16:15"] or nearest == ["13:45", "14:00", "16:00"]
    chat.choose(2)
    assert titles(chat.last) == ["Confirm", "Change"]
    chat.choose_title("Confirm")
    assert Booking.objects.filter(source=BookingSource.WHATSAPP).get().master == anna


def test_a_slot_taken_between_the_list_and_the_tap_gets_an_apology_and_fresh_times(chat, shop, salon):
    (haircut, _), (anna, _) = shop
    chat.say("haircut with Anna tomorrow afternoon")
    assert text_of(chat.last).startswith("Free times on")
    first_id, first_title = options(chat.last)[0]
    book_elsewhere(salon, haircut, anna, local_at(salon, 1, int(first_title[:2]), int(first_title[3:])))

    chat.tap(first_id, first_title)
    assert text_of(chat.last).startswith("Sorry, that time has just been taken.")
    assert first_id not in ids(chat.last) and chat.last["interactive"]["type"] == "list"
    assert not Booking.objects.filter(source=BookingSource.WHATSAPP).exists()
    chat.choose(1)
    chat.choose_title("Confirm")
    mine = Booking.objects.get(source=BookingSource.WHATSAPP)
    other = Booking.objects.get(source=BookingSource.API)
    assert mine.master == other.master == anna
    assert mine.start_ts >= other.end_ts or mine.end_ts <= other.start_ts


def test_a_slot_taken_after_its_hold_expired_is_a_conflict_in_the_chat(chat, shop, salon):
    (haircut, _), (anna, _) = shop
    chat.say("haircut tomorrow at 10am with Anna")
    assert titles(chat.last) == ["Confirm", "Change"]
    with pytest.raises(BookingConflict):  # held for the chat while it confirms
        book_elsewhere(salon, haircut, anna, local_at(salon, 1, 10))
    SlotHold.objects.update(expires_at=timezone.now() - timedelta(seconds=1))  # the customer dawdled
    book_elsewhere(salon, haircut, anna, local_at(salon, 1, 10))
    replies = chat.choose_title("Confirm")
    assert len(replies) == 1
    assert text_of(chat.last).startswith("Sorry, that time has just been taken.")
    assert "10:00" not in titles(chat.last)
    assert Booking.objects.count() == 1


def test_confirm_tapped_twice_books_once(chat, shop, salon):
    chat.say("haircut tomorrow at 10am")  # any master: a second booking would go to another master
    confirm_id, _ = options(chat.last)[0]
    chat.tap(confirm_id, "Confirm")
    chat.tap(confirm_id, "Confirm")
    booking = Booking.objects.get()
    assert f"already booked for that time: booking {booking.code}" in text_of(chat.last)


def test_a_tap_on_an_old_list_still_works(chat, shop, salon):
    chat.say("haircut")
    old_day_id, old_day_title = options(chat.last)[2]
    chat.choose(2)
    chat.choose(1)
    chat.choose(1)
    assert titles(chat.last) == ["Confirm", "Change"]
    chat.tap(old_day_id, old_day_title)
    # The part of the day picked before still stands on the other day.
    assert text_of(chat.last) == f"Free times on {old_day_title} in the morning. Which one suits you?"
    # An id written before the parts existed pages through the whole day, as it did then.
    old_more = "more:slot:" + old_day_id.removeprefix("day:") + ":9"
    chat.tap(old_more, "More…")
    assert text_of(chat.last) == f"Free times on {old_day_title}. Which one suits you?"
    assert titles(chat.last)[0] not in ("00:00", "Tell me if it frees up")  # the second page


def test_a_row_of_something_switched_off_gets_an_apology_and_fresh_choices(chat, shop):
    (_, manicure), _ = shop
    chat.say("I want to book")
    manicure_row = options(chat.last)[1]
    manicure.is_active = False
    manicure.save()
    chat.tap(*manicure_row)
    assert text_of(chat.last).startswith("Sorry, that choice is no longer available.")
    assert titles(chat.last) == ["Haircut"]


def test_a_typed_number_or_title_picks_a_row(chat, shop):
    chat.say("book")
    chat.say("2")
    assert text_of(chat.last) == "Who would you like for Manicure?"
    chat.say("bea")
    assert text_of(chat.last) == "Which day would you like for Manicure with Bea?"
    chat.say("more")
    assert text_of(chat.last) == "Which day would you like for Manicure with Bea?"  # the next page of days
    assert chat.taps == 0


def test_change_goes_back_to_the_days(chat, shop):
    chat.say("manicure tomorrow at 11am")
    chat.choose_title("Change")
    assert text_of(chat.last) == "Which day would you like for Manicure?"


def test_many_services_page_on_with_more_and_long_names_are_cut(post_webhook, fake_graph, salon):
    from tests.messaging.bot.conftest import Chat, assert_within_limits

    long = "Balayage with toner, gloss and a blow-dry finish"
    services = [(f"{long} {n:02d}", 60, "99.00") for n in range(12)]
    open_salon(salon, services=services)
    chat = Chat(post_webhook, fake_graph)
    chat.say("book")
    rows = chat.last["interactive"]["action"]["sections"][0]["rows"]
    assert len(rows) == 10 and rows[-1]["title"] == "More…"
    assert all(len(r["title"]) == 24 and r["title"].endswith("…") for r in rows[:-1])
    chat.choose(10)
    assert len(options(chat.last)) == 3
    chat.choose(3)
    assert text_of(chat.last).startswith(f"Who would you like for {long} 11?")
    assert_within_limits(chat.sent)


def test_text_it_cannot_read_gets_a_hint_and_the_current_step(chat, shop):
    chat.say("book")
    chat.say("blorp zzz")
    assert text_of(chat.last).startswith("Sorry, I did not understand that.\n\nWhich service")
    from tests.messaging import meta

    chat._send(meta.audio(chat.wamid(), ts=chat.ts))
    assert text_of(chat.last).startswith("Sorry, I can only read text messages")
    before = len(chat.sent)
    chat._send(meta.reaction(chat.wamid(), ts=chat.ts))
    assert len(chat.sent) == before  # a reaction needs no answer


def test_a_full_plan_is_told_politely_and_nothing_is_booked(chat, salon):
    salon.max_bookings_per_month = 0
    salon.save()
    chat.say("haircut tomorrow at 10am")
    chat.choose_title("Confirm")
    assert text_of(chat.last).startswith("Sorry, I cannot book online right now.")
    assert titles(chat.last) == ["Book a visit", "My bookings", "Talk to a person"]
    assert not Booking.objects.exists()
