"""The waiting list in the chat: joining from a full day or in words, offers when time frees up,
the first "Book it" wins, the others hear it is gone and keep their place."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.models import ActorKind, Booking, BookingStatus, WaitlistEntry, WaitlistStatus
from bookings.services import transition_booking
from messaging.models import Conversation
from tests.messaging import meta
from tests.messaging.bot.conftest import Chat, known_customer, options, text_of
from tests.messaging.bot.helpers import book_elsewhere, local_at
from tests.messaging.factories import TemplateFactory

pytestmark = pytest.mark.django_db
RITA = "351912345679"


def titles(body):
    return [title for _id, title in options(body)]


def fill_annas_day(salon, demo, days=1):
    """Anna is booked from 09:00 to 20:00 on that day (one-hour bookings by other customers)."""
    (haircut, *_), (anna, *_) = demo
    bookings = []
    for hour in range(9, 20):
        start = local_at(salon, days, hour)
        bookings.append(book_elsewhere(salon, haircut, anna, start, phone=f"+4917088{hour:05d}"))
    return bookings


def test_a_full_day_offers_the_waiting_list_and_one_tap_joins_it(demo_chat, salon, demo):
    fill_annas_day(salon, demo)
    demo_chat.say("haircut with Anna tomorrow")
    body = text_of(demo_chat.last)
    assert body.startswith("Sorry, there are no free times on") and "Which day would you like" in body
    assert titles(demo_chat.last)[0] == "Tell me if it frees up"
    demo_chat.choose_title("Tell me if it frees up")
    assert text_of(demo_chat.last).startswith("Done: you are on the waiting list for Haircut on")
    entry = WaitlistEntry.objects.get()
    assert (entry.master.name, entry.day, entry.part, entry.status) == (
        "Anna",
        local_at(salon, 1, 0).date(),
        "",
        WaitlistStatus.WAITING,
    )


def test_asking_in_words_after_a_full_day_joins_for_that_day(demo_chat, salon, demo):
    fill_annas_day(salon, demo)
    demo_chat.say("haircut with Anna tomorrow")
    demo_chat.say("let me know if something frees up")
    entry = WaitlistEntry.objects.get()
    assert (entry.master.name, entry.day) == ("Anna", local_at(salon, 1, 0).date())


def test_asking_in_words_joins_for_the_day_and_part_said(demo_chat, salon, demo):
    demo_chat.say("haircut friday evening")
    demo_chat.say("tell me if something frees up")
    entry = WaitlistEntry.objects.get()
    assert entry.part == "evening" and entry.day.weekday() == 4 and entry.master is None
    assert "in the evening" in text_of(demo_chat.last)


def test_russian_asking_in_words_joins(ru_demo_chat, salon):
    ru_demo_chat.say("стрижка в пятницу вечером")
    ru_demo_chat.say("сообщите, если освободится")
    assert text_of(ru_demo_chat.last).startswith("Готово: вы в листе ожидания на «Стрижка»")
    assert WaitlistEntry.objects.get().part == "evening"


def test_asking_without_a_day_asks_which(demo_chat, salon):
    demo_chat.say("haircut")
    demo_chat.say("put me on the waiting list")
    assert text_of(demo_chat.last) == "Which day should I watch for Haircut? Write it, for example “Friday evening”."
    demo_chat.say("saturday morning")
    entry = WaitlistEntry.objects.get()
    assert entry.day.weekday() == 5 and entry.part == "morning"


@pytest.fixture
def cancel(django_capture_on_commit_callbacks):
    """Cancel as the salon does, and let what follows the commit run (the offers' task, eager here)."""

    def cancel_booking(booking):
        with django_capture_on_commit_callbacks(execute=True):
            transition_booking(actor=None, actor_kind=ActorKind.SYSTEM, booking=booking, action="cancel")

    return cancel_booking


@pytest.fixture
def rita(post_webhook, fake_graph, salon, demo):
    known_customer(salon, "Rita", sender=RITA)
    return Chat(post_webhook, fake_graph, sender=RITA)


def test_a_cancellation_is_offered_in_join_order_and_the_first_book_it_wins(demo_chat, rita, salon, demo, cancel):
    bookings = fill_annas_day(salon, demo)
    for chat in (rita, demo_chat):  # Rita joins first
        chat.say("haircut with Anna tomorrow")
        chat.choose_title("Tell me if it frees up")
    cancel(bookings[3])  # 12:00

    for chat in (rita, demo_chat):
        assert text_of(chat.last).startswith(f"Good news, {chat.conversation().customer.name}!")
        assert "Haircut with Anna" in text_of(chat.last) and "12:00" in text_of(chat.last)
        assert titles(chat.last) == ["Book it", "Not this one"]
    assert [body["to"] for _number, body in demo_chat.graph.received[-2:]] == [RITA, meta.CUSTOMER]  # join order

    demo_chat.choose_title("Book it")  # Marta is quicker
    assert text_of(demo_chat.last).startswith("Booked! ✅")
    rita.choose_title("Book it")
    assert text_of(rita.last).startswith("Sorry, someone else was quicker and that time is taken.")
    won = Booking.objects.get(start_ts=local_at(salon, 1, 12), status=BookingStatus.CONFIRMED)
    assert won.customer.name == "Marta"
    statuses = dict(WaitlistEntry.objects.values_list("customer__name", "status"))
    assert statuses == {"Marta": WaitlistStatus.BOOKED, "Rita": WaitlistStatus.WAITING}


def test_not_this_one_keeps_the_place(demo_chat, salon, demo, cancel):
    bookings = fill_annas_day(salon, demo)
    demo_chat.say("haircut with Anna tomorrow")
    demo_chat.choose_title("Tell me if it frees up")
    cancel(bookings[0])
    demo_chat.choose_title("Not this one")
    assert text_of(demo_chat.last).startswith("All right. You stay on the waiting list for")
    assert WaitlistEntry.objects.get().status == WaitlistStatus.WAITING


def test_outside_the_window_the_offer_is_the_salons_template_and_its_quick_reply_books(demo_chat, salon, demo, cancel):
    TemplateFactory(
        salon=salon,
        name="waitlist_offer",
        purpose="WAITLIST",
        body="Hello {{1}}, {{3}} with {{4}} on {{2}} is free now. Tap Book it to take it.",
    )
    bookings = fill_annas_day(salon, demo)
    demo_chat.say("haircut with Anna tomorrow")
    demo_chat.choose_title("Tell me if it frees up")
    Conversation.objects.update(last_inbound_at=timezone.now() - timedelta(hours=25))
    cancel(bookings[0])
    offer = demo_chat.last
    assert offer["type"] == "template" and offer["template"]["name"] == "waitlist_offer"
    components = offer["template"]["components"]
    payload = next(c for c in components if c["type"] == "button")["parameters"][0]["payload"]
    assert payload.startswith("wl:")
    # The customer taps the template's quick reply, days after their last message.
    demo_chat.idle(60 * 24 * 2)
    demo_chat._send(meta.template_button(demo_chat.wamid(), payload, "Book it", ts=demo_chat.ts))
    assert text_of(demo_chat.last).startswith("Booked! ✅")
    assert Booking.objects.get(start_ts=local_at(salon, 1, 9), status=BookingStatus.CONFIRMED).customer.name == "Marta"
